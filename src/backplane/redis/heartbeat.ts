/**
 * One heartbeat, in one round trip: refresh this node's key (its TTL is how long a dead node
 * keeps counting), re-publish this node's connection count per resource, and read back the
 * live nodes and the other live nodes' counts.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.ts';
import { withScripts } from './scripts.ts';

export interface HeartbeatInput {
  keys: RedisKeys;
  nodeId: string;
  nodeTtlMs: number;
  registryTtlMs: number;
  /** Every resource this node serves, with its local connection count. */
  counts: ReadonlyMap<string, number>;
}

export interface HeartbeatResult {
  live: Set<string>;
  /** The other live nodes' connection count per resource. */
  others: Map<string, number>;
  /** This node's key was absent: it had expired (a stall) or Redis lost its data. */
  wasMissing: boolean;
}

export async function heartbeat(client: Redis, input: HeartbeatInput): Promise<HeartbeatResult> {
  const { keys, nodeId } = input;
  const channels = [...input.counts.keys()];
  const p = withScripts(client.pipeline());
  p.set(keys.node(nodeId), String(Date.now()), 'PX', input.nodeTtlMs, 'GET');
  p.sadd(keys.nodes, nodeId);
  for (const ch of channels) p.hset(keys.count(ch), nodeId, input.counts.get(ch) ?? 0).pexpire(keys.count(ch), input.registryTtlMs);
  p.lapisLiveNodes(keys.nodes, keys.nodePrefix);
  for (const ch of channels) p.lapisLiveSum(keys.count(ch), keys.nodePrefix, nodeId);
  const replies = (await p.exec()) ?? [];
  const failed = replies.find(([err]) => err)?.[0];
  if (failed) throw failed;
  const value = (i: number): unknown => replies[i]?.[1];
  const liveAt = 2 + channels.length * 2;
  const live = new Set(Array.isArray(value(liveAt)) ? (value(liveAt) as unknown[]).map(String) : []);
  const others = new Map<string, number>();
  channels.forEach((ch, i) => others.set(ch, Number(value(liveAt + 1 + i)) || 0));
  return { live, others, wasMissing: value(0) === null };
}
