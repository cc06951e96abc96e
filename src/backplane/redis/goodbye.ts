/**
 * A node's orderly goodbye to Redis at close (see RedisBackplane.close): kept apart from the
 * backplane so the bounded shutdown can be read on its own.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.ts';
import type { LocalRegistry } from './registry.ts';

/** Longest wait for Redis to take this node's goodbye (unregistering) at close. */
const CLOSE_TIMEOUT_MS = 1000;

export interface Goodbye {
  pub: Redis;
  sub: Redis;
  keys: RedisKeys;
  nodeId: string;
  registry: LocalRegistry;
  onError(err: unknown): void;
}

/** Unregisters the node and its entries, then quits both connections; never waits past the timeout. */
export async function sayGoodbye(g: Goodbye): Promise<void> {
  // The heartbeat key first (the others stop counting this node at once), then its entries.
  const p = g.pub.pipeline().del(g.keys.node(g.nodeId)).srem(g.keys.nodes, g.nodeId);
  for (const channel of [...g.registry.channels()]) g.registry.forgetChannel(channel);
  const entries = p.exec().then(() => g.registry.flush());
  // Bounded: a Redis that stopped answering must not hold the node's shutdown.
  const goodbye = entries.then(() => Promise.all([g.pub.quit(), g.sub.quit()]));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_TIMEOUT_MS); });
  await Promise.race([goodbye.catch((err: unknown) => g.onError(err)), deadline]);
  clearTimeout(timer);
}
