import type { Logger } from '../../log/index.ts';
import { MAX_BACKPLANE_URL_LENGTH, RedisBackplaneError } from './errors.ts';

export interface RedisBackplaneOptions {
  /**
   * `redis://[user:password@]host:port[/db][?prefix=…]` (or `rediss://` for TLS). A `prefix`
   * query parameter sets the prefix when the option does not.
   */
  url: string;
  /** Prefix of every key and channel (default `lapis:`): one per cluster sharing a Redis. */
  prefix?: string | undefined;
  /** This node's name (letters, digits, `.`, `_`, `-`); the backplane appends a per-start suffix. */
  nodeId: string;
  log: Logger;
  /** How often the node refreshes its heartbeat and reads the others' counts (default 2000 ms). */
  heartbeatMs?: number | undefined;
  /** How long a node that stopped beating still counts as live (default 3 heartbeats). */
  nodeTtlMs?: number | undefined;
  /** Longest wait for answers to a request (default 5000 ms). */
  requestTimeoutMs?: number | undefined;
  /** TTL of registry keys, refreshed every third of it (default 60000 ms). */
  registryTtlMs?: number | undefined;
  /** Largest message shipped or accepted (default 8 MiB). */
  maxMessageBytes?: number | undefined;
  /** `auto` (default): sharded pub/sub (SPUBLISH/SSUBSCRIBE) on Redis 7 and later, else plain. */
  pubsub?: 'auto' | 'sharded' | 'plain' | undefined;
}

export interface ResolvedOptions {
  url: string;
  prefix: string;
  name: string;
  log: Logger;
  heartbeatMs: number;
  nodeTtlMs: number;
  requestTimeoutMs: number;
  registryTtlMs: number;
  maxMessageBytes: number;
  pubsub: 'auto' | 'sharded' | 'plain';
}

const NODE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const PREFIX = /^[\x21-\x7e]{0,64}$/;

function positive(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new RedisBackplaneError('BackplaneOptionInvalid', `${name} must be an integer from ${min} to ${max}.`);
  return value;
}

/** The URL for ioredis (without our own `prefix` parameter) and the prefix it carried. */
function splitUrl(url: string): { url: string; prefix: string | undefined } {
  const invalid = (message: string) => new RedisBackplaneError('BackplaneUrlInvalid', message);
  if (url.length > MAX_BACKPLANE_URL_LENGTH) throw invalid(`The backplane URL is longer than ${MAX_BACKPLANE_URL_LENGTH} characters.`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid('The backplane URL is not a valid URL (redis://HOST:PORT; percent-encode special characters in the user name and password).');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw invalid('The backplane URL must start with redis:// or rediss://.');
  // ioredis would prefix command keys but neither channels nor the keys the scripts build.
  if (u.searchParams.has('keyPrefix')) throw invalid('Use ?prefix= rather than keyPrefix in the backplane URL.');
  const prefix = u.searchParams.get('prefix') ?? undefined;
  u.searchParams.delete('prefix');
  return { url: u.toString(), prefix };
}

export function resolveOptions(o: RedisBackplaneOptions): ResolvedOptions {
  if (!NODE_NAME.test(o.nodeId)) throw new RedisBackplaneError('BackplaneOptionInvalid', 'The node name (nodeId) must be 1-64 letters, digits, ".", "_" or "-".');
  const split = splitUrl(o.url);
  const prefix = o.prefix ?? split.prefix ?? 'lapis:';
  if (!PREFIX.test(prefix)) throw new RedisBackplaneError('BackplaneUrlInvalid', 'The backplane prefix must be at most 64 printable ASCII characters without spaces.');
  const heartbeatMs = positive('heartbeatMs', o.heartbeatMs, 2000, 50, 60_000);
  const nodeTtlMs = positive('nodeTtlMs', o.nodeTtlMs, heartbeatMs * 3, heartbeatMs * 2, 600_000);
  const registryTtlMs = positive('registryTtlMs', o.registryTtlMs, 60_000, nodeTtlMs, 86_400_000);
  return {
    url: split.url,
    prefix,
    name: o.nodeId,
    log: o.log,
    heartbeatMs,
    nodeTtlMs,
    requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs, 5000, 10, 600_000),
    registryTtlMs,
    maxMessageBytes: positive('maxMessageBytes', o.maxMessageBytes, 8 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    pubsub: o.pubsub ?? 'auto',
  };
}
