import type { Redis } from 'ioredis';
import { RedisBackplaneError } from './errors.ts';

/**
 * Checks the server the backplane is about to use and picks the pub/sub flavour: sharded on
 * Redis 7 and later unless told otherwise. Refuses Redis Cluster (the registry scripts read keys
 * of several slots) and servers older than 6.2 (the heartbeat uses SET … GET).
 */
export async function choosePubSub(client: Redis, wanted: 'auto' | 'sharded' | 'plain'): Promise<boolean> {
  const info = await client.info('server');
  if (/redis_mode:cluster/.test(info)) {
    throw new RedisBackplaneError('BackplaneUnsupported', 'Redis Cluster is not supported by the backplane: use a standalone Redis server.');
  }
  const [major = 0, minor = 0] = (/redis_version:(\d+)\.(\d+)/.exec(info) ?? []).slice(1).map(Number);
  if (major < 6 || (major === 6 && minor < 2)) {
    throw new RedisBackplaneError('BackplaneUnsupported', `Redis ${major}.${minor} is too old for the backplane: 6.2 or later is needed.`);
  }
  if (wanted === 'sharded' && major < 7) {
    throw new RedisBackplaneError('BackplaneUnsupported', `Sharded pub/sub needs Redis 7 or later; this server is ${major}.${minor}.`);
  }
  return wanted === 'sharded' || (wanted === 'auto' && major >= 7);
}
