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
 * Changes are batched: the keys changed in one turn of the event loop go out in one pipeline,
 * each with its latest value (10,000 connections opened at once write the count once). The
 * backplane flushes the batch before it ships any message, so a node that answers a request
 * has written the registry changes the request made before its answer leaves.
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

/** The latest change of one key, waiting for the next flush. */
type Write = { kind: 'set' } | { kind: 'field'; n: number } | { kind: 'remove'; removal: Removal };

/** One resource's entries on this node. */
interface ChannelEntries {
  /** Connection keys. */
  connections: Set<string>;
  /** User / group hash key → how many of this node's connections. */
  members: Map<string, number>;
  /** This node's connection count. */
  count: number;
}

export class LocalRegistry {
  readonly #o: RegistryOptions;
  readonly #channels = new Map<string, ChannelEntries>();
  readonly #removals = new Map<string, Removal>();
  #generation = 0;
  readonly #batch = new Map<string, Write>();
  #flushScheduled = false;

  constructor(options: RegistryOptions) {
    this.#o = options;
  }

  /** This node's connections of a resource (exact). */
  localCount(channel: string): number {
    return this.#channels.get(channel)?.count ?? 0;
  }

  /** Whether this node has connections of the user / in the group. */
  hasLocalMembers(kind: MemberKind, channel: string, hub: string, name: string): boolean {
    return this.#channels.get(channel)?.members.has(this.#o.keys.members(kind, channel, hub, name)) ?? false;
  }

  hasLocalConnection(channel: string, hub: string, connectionId: string): boolean {
    return this.#channels.get(channel)?.connections.has(this.#o.keys.connection(channel, hub, connectionId)) ?? false;
  }

  /** Entries held (connections, users and groups), for logs. */
  get size(): number {
    let n = 0;
    for (const e of this.#channels.values()) n += e.connections.size + e.members.size;
    return n;
  }

  /** Resources with entries on this node. */
  channels(): IterableIterator<string> {
    return this.#channels.keys();
  }

  connectionAdded(channel: string, hub: string, connectionId: string, userId: string | undefined): void {
    const key = this.#o.keys.connection(channel, hub, connectionId);
    const entries = this.#entries(channel);
    if (entries.connections.has(key)) return;
    entries.connections.add(key);
    this.#removals.delete(key);
    this.#queue(key, { kind: 'set' });
    this.#changeCount(channel, entries, 1);
    if (userId !== undefined) this.member('user', channel, hub, userId, 1);
  }

  connectionRemoved(channel: string, hub: string, connectionId: string, userId: string | undefined): void {
    const key = this.#o.keys.connection(channel, hub, connectionId);
    const entries = this.#channels.get(channel);
    if (!entries?.connections.delete(key)) return;
    this.#remove(key, 'del');
    this.#changeCount(channel, entries, -1);
    if (userId !== undefined) this.member('user', channel, hub, userId, -1);
  }

  member(kind: MemberKind, channel: string, hub: string, name: string, delta: number): void {
    const key = this.#o.keys.members(kind, channel, hub, name);
    const existing = this.#channels.get(channel);
    if (!existing && delta <= 0) return;
    const members = (existing ?? this.#entries(channel)).members;
    const n = (members.get(key) ?? 0) + delta;
    if (n > 0) {
      members.set(key, n);
      this.#removals.delete(key);
      this.#writeField(key, n);
    } else if (members.delete(key)) {
      this.#remove(key, 'hdel');
    }
  }

  /** The resource has no local node any more: everything this node registered for it goes. */
  forgetChannel(channel: string): void {
    const entries = this.#channels.get(channel);
    if (!entries) return;
    this.#channels.delete(channel);
    for (const key of entries.connections) this.#remove(key, 'del');
    for (const key of entries.members.keys()) this.#remove(key, 'hdel');
    this.#remove(this.#o.keys.count(channel), 'hdel');
  }

  /** Writes every entry again and replays unconfirmed removals, in one pipeline. */
  async resync(client: Redis): Promise<void> {
    const { keys, nodeId, ttlMs } = this.#o;
    const generation = this.#generation;
    const p = client.pipeline();
    for (const [channel, e] of this.#channels) {
      for (const key of e.connections) p.set(key, nodeId, 'PX', ttlMs);
      for (const [key, n] of e.members) p.hset(key, nodeId, n).pexpire(key, ttlMs);
      p.hset(keys.count(channel), nodeId, e.count).pexpire(keys.count(channel), ttlMs);
    }
    const removals = [...this.#removals];
    for (const [key, r] of removals) {
      if (r.kind === 'del') p.del(key);
      else p.hdel(key, nodeId);
    }
    await execAll(p);
    for (const [key, r] of removals) if (r.generation <= generation && this.#removals.get(key) === r) this.#removals.delete(key);
  }

  #entries(channel: string): ChannelEntries {
    let e = this.#channels.get(channel);
    if (!e) this.#channels.set(channel, (e = { connections: new Set(), members: new Map(), count: 0 }));
    return e;
  }

  #changeCount(channel: string, entries: ChannelEntries, delta: number): void {
    entries.count = Math.max(0, entries.count + delta);
    this.#writeField(this.#o.keys.count(channel), entries.count);
  }

  #writeField(key: string, n: number): void {
    this.#queue(key, { kind: 'field', n });
  }

  #remove(key: string, kind: Removal['kind']): void {
    const removal: Removal = { generation: ++this.#generation, kind };
    this.#removals.set(key, removal);
    this.#queue(key, { kind: 'remove', removal });
  }

  #queue(key: string, write: Write): void {
    this.#batch.set(key, write);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  /**
   * Sends the changes waiting in one pipeline. While disconnected they are dropped: the resync
   * after reconnecting writes the current state, and removals are replayed from `#removals`.
   */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#batch.size === 0) return;
    const batch = [...this.#batch];
    this.#batch.clear();
    const client = this.#o.client();
    if (!client) return;
    const { nodeId, ttlMs } = this.#o;
    const p = client.pipeline();
    for (const [key, w] of batch) {
      if (w.kind === 'set') p.set(key, nodeId, 'PX', ttlMs);
      else if (w.kind === 'field') p.hset(key, nodeId, w.n).pexpire(key, ttlMs);
      else if (w.removal.kind === 'del') p.del(key);
      else p.hdel(key, nodeId);
    }
    execAll(p).then(
      () => {
        for (const [key, w] of batch) if (w.kind === 'remove' && this.#removals.get(key) === w.removal) this.#removals.delete(key);
      },
      (err: Error) => this.#o.onWriteError(err),
    );
  }
}

/** A pipeline reports per-command errors in its results: any of them fails the whole write. */
async function execAll(p: ChainableCommander): Promise<void> {
  const results = await p.exec();
  const failed = results?.find(([err]) => err)?.[0];
  if (failed) throw failed;
}
