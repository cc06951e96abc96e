/**
 * The two ioredis connections of a node (commands + publishing, and subscribing). Both reconnect
 * forever with a capped exponential backoff; nothing is queued while disconnected (a command
 * fails at once, so a publish is dropped and counted instead of arriving late), and
 * subscriptions are restored by the backplane itself on `ready`.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../log/index.ts';

/** Milliseconds before reconnect attempt `times` (1, 2, …): 100 ms doubling up to 2 s, with jitter. */
export function reconnectDelay(times: number): number {
  const base = Math.min(100 * 2 ** Math.min(times - 1, 5), 2000);
  return base + Math.floor(Math.random() * (base / 4));
}

export function createClient(url: string, name: string, log: Logger, onError: (err: Error) => void): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    connectionName: name,
    connectTimeout: 5000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false,
    retryStrategy: reconnectDelay,
  });
  // Without a listener an ioredis error would be an unhandled 'error' event: a crash.
  let lastMessage = '';
  client.on('error', (err: Error) => {
    onError(err);
    if (err.message !== lastMessage) log.warn({ err: err.message, connection: name }, 'redis backplane connection error');
    lastMessage = err.message;
  });
  client.on('ready', () => {
    lastMessage = '';
  });
  return client;
}
