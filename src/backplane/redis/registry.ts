/**
 * This node's part of the Redis registries, mirrored in memory so that it can be written again
 * whole: after a reconnect, after Redis lost its data, and periodically to refresh the TTLs.
 *
 * - connection key → this node's id (one key per connection; DEL when it closes);
 * - user / group hash, field = node id → how many of this node's connections are that user's / in that group;
 * - count hash per resource, field = node id → this node's connection count.
 *
 * Every write is an absolute value (never an increment), so writing an entry twice, or again
 * after a lost write, is harmless. Removals Redis has not confirmed are kept and replayed.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { MemberKind } from '../types.ts';
import type { RedisKeys } from './keys.ts';

export interface RegistryOptions {
  keys: RedisKeys;
  nodeId: string;
  /** TTL of every registry key: only a garbage-collection bound, liveness comes from heartbeats. */
  ttlMs: number;
  /** The command connection when it is usable, else undefined (the write waits for a resync). */
  client(): Redis | undefined;
  onWriteError(err: Error): void;
}

interface Removal {
  generation: number;
  /** `del` removes a key of ours; `hdel` removes our field from a shared hash. */
  kind: 'del' | 'hdel';
}

export class LocalRegistry {
  readonly #o: RegistryOptions;
  readonly #connections = new Set<string>();
  readonly #members = new Map<string, number>();
  readonly #counts = new Map<string, number>();
  readonly #removals = new Map<string, Removal>();
  #generation = 0;

  constructor(options: RegistryOptions) {
    this.#o = options;
  }

  /** This node's connections of a resource (exact). */
  localCount(channel: string): number {
    return this.#counts.get(channel) ?? 0;
  }

  /** Whether this node has connections of the user / in the group. */
  hasLocalMembers(kind: MemberKind, channel: string, hub: string, name: string): boolean {
    return this.#members.has(this.#o.keys.members(kind, channel, hub, name));
  }

  hasLocalConnection(channel: string, hub: string, connectionId: string): boolean {
    return this.#connections.has(this.#o.keys.connection(channel, hub, connectionId));
  }

  get size(): number {
    return this.#connections.size + this.#members.size;
  }

  connectionAdded(channel: string, hub: string, connectionId: string, userId: string | undefined): void {
    const key = this.#o.keys.connection(channel, hub, connectionId);
    if (this.#connections.has(key)) return;
    this.#connections.add(key);
    this.#removals.delete(key);
    this.#write((c) => c.set(key, this.#o.nodeId, 'PX', this.#o.ttlMs));
    this.#changeCount(channel, 1);
    if (userId !== undefined) this.member('user', channel, hub, userId, 1);
  }

  connectionRemoved(channel: string, hub: string, connectionId: string, userId: string | undefined): void {
    const key = this.#o.keys.connection(channel, hub, connectionId);
    if (!this.#connections.delete(key)) return;
    this.#remove(key, 'del');
    this.#changeCount(channel, -1);
    if (userId !== undefined) this.member('user', channel, hub, userId, -1);
  }

  member(kind: MemberKind, channel: string, hub: string, name: string, delta: number): void {
    const key = this.#o.keys.members(kind, channel, hub, name);
    const n = (this.#members.get(key) ?? 0) + delta;
    if (n > 0) {
      this.#members.set(key, n);
      this.#removals.delete(key);
      this.#writeField(key, n);
    } else if (this.#members.delete(key)) {
      this.#remove(key, 'hdel');
    }
  }

  /** The resource has no local node any more: its count field goes. */
  forgetChannel(channel: string): void {
    if (!this.#counts.delete(channel)) return;
    this.#remove(this.#o.keys.count(channel), 'hdel');
  }

  /** Channels with a count field (written by the heartbeat too). */
  counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  /** Writes every entry again and replays unconfirmed removals, in one pipeline. */
  async resync(client: Redis): Promise<void> {
    const { keys, nodeId, ttlMs } = this.#o;
    const generation = this.#generation;
    const p = client.pipeline();
    for (const key of this.#connections) p.set(key, nodeId, 'PX', ttlMs);
    for (const [key, n] of this.#members) p.hset(key, nodeId, n).pexpire(key, ttlMs);
    for (const [channel, n] of this.#counts) p.hset(keys.count(channel), nodeId, n).pexpire(keys.count(channel), ttlMs);
    const removals = [...this.#removals];
    for (const [key, r] of removals) {
      if (r.kind === 'del') p.del(key);
      else p.hdel(key, nodeId);
    }
    await execAll(p);
    for (const [key, r] of removals) if (r.generation <= generation && this.#removals.get(key) === r) this.#removals.delete(key);
  }

  #changeCount(channel: string, delta: number): void {
    const n = Math.max(0, (this.#counts.get(channel) ?? 0) + delta);
    this.#counts.set(channel, n);
    this.#writeField(this.#o.keys.count(channel), n);
  }

  #writeField(key: string, n: number): void {
    this.#write((c) => execAll(c.pipeline().hset(key, this.#o.nodeId, n).pexpire(key, this.#o.ttlMs)));
  }

  #remove(key: string, kind: Removal['kind']): void {
    const removal: Removal = { generation: ++this.#generation, kind };
    this.#removals.set(key, removal);
    this.#write(async (c) => {
      await (kind === 'del' ? c.del(key) : c.hdel(key, this.#o.nodeId));
      if (this.#removals.get(key) === removal) this.#removals.delete(key);
    });
  }

  /** Skipped while disconnected: the resync after reconnecting writes the current state. */
  #write(op: (client: Redis) => Promise<unknown>): void {
    const client = this.#o.client();
    if (!client) return;
    op(client).catch((err: Error) => this.#o.onWriteError(err));
  }
}

/** A pipeline reports per-command errors in its results: any of them fails the whole write. */
async function execAll(p: ChainableCommander): Promise<void> {
  const results = await p.exec();
  const failed = results?.find(([err]) => err)?.[0];
  if (failed) throw failed;
}
