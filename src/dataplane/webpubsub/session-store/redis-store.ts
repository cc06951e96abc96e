/**
 * Reliable sessions mirrored in Redis (cluster mode), next to the Redis backplane: the same URL and
 * key prefix, the backplane's node id (its heartbeat key says whether an owner is alive), and two
 * connections of its own (commands, and a subscriber for handovers between nodes).
 *
 * Writes are batched: every session changed during one turn of the event loop is written in one
 * pipeline (setImmediate), and only reliable sessions are mirrored at all. A timer refreshes the
 * records' TTL while their owner lives; another looks for owners whose heartbeat expired and
 * adopts their sessions (see redis-binding.ts).
 */
import type { Redis } from 'ioredis';
import { createClient } from '../../../backplane/redis/clients.ts';
import type { Logger } from '../../../log/index.ts';
import { RedisChannelSessions } from './redis-binding.ts';
import { SessionKeys } from './redis-keys.ts';
import { FrameAppends, run } from './redis-mirror.ts';
import type { RedisMirror } from './redis-mirror.ts';
import { defineSessionScripts } from './redis-scripts.ts';
import type { SessionScripts } from './redis-scripts.ts';
import { HandoverMessenger } from './handover.ts';
import type { ChannelSessions, SessionHostBinding, SessionStore } from './types.ts';

export interface RedisSessionStoreOptions {
  /** `redis://…` (the backplane's URL without Lapis's `prefix` parameter). */
  url: string;
  /** The backplane's key prefix (sessions live under `<prefix>sess:`). */
  prefix: string;
  /** The backplane's node id: ownership follows its heartbeat key. */
  nodeId: string;
  log: Logger;
  /** How long a record outlives its owner's last refresh (default 60 s). */
  ttlMs?: number | undefined;
  /** How often dead owners are looked for (default 1000 ms). */
  sweepMs?: number | undefined;
  /** How long a recovery waits for the owning node to hand a session over (default 2000 ms). */
  handoverTimeoutMs?: number | undefined;
}

export class RedisSessionStore implements SessionStore {
  readonly shared = true;
  readonly keys: SessionKeys;
  readonly nodeId: string;
  readonly ttlMs: number;
  readonly log: Logger;
  readonly cmd: Redis & SessionScripts;
  readonly #sub: Redis;
  readonly handover: HandoverMessenger;
  readonly #bindings = new Map<string, RedisChannelSessions>();
  readonly #mirrors = new Set<RedisMirror>();
  #dirty = new Set<RedisMirror>();
  #drops: RedisMirror[] = [];
  #flushQueued = false;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #sweepMs: number;
  #closed = false;

  constructor(o: RedisSessionStoreOptions) {
    this.keys = new SessionKeys(o.prefix);
    this.nodeId = o.nodeId;
    this.ttlMs = o.ttlMs ?? 60_000;
    this.log = o.log;
    this.#sweepMs = o.sweepMs ?? 1000;
    const onError = (): void => {};
    this.cmd = defineSessionScripts(createClient(o.url, `lapis:${o.nodeId}:sessions`, o.log, onError));
    this.#sub = createClient(o.url, `lapis:${o.nodeId}:sessions-sub`, o.log, onError);
    this.handover = new HandoverMessenger({
      pub: this.cmd, sub: this.#sub, keys: this.keys, nodeId: o.nodeId, log: o.log,
      timeoutMs: o.handoverTimeoutMs ?? 2000,
      release: (channel, hub, connectionId, to) => this.#bindings.get(channel)?.release(hub, connectionId, to) ?? Promise.resolve(false),
    });
  }

  async connect(): Promise<void> {
    await Promise.all([this.cmd.connect(), this.#sub.connect()]);
    await this.handover.start();
    // Redis came back: each mirror checks it still owns its record (rewrites it if it was lost).
    this.cmd.on('ready', () => this.#refresh());
    this.#sub.on('ready', () => void this.handover.start().catch(() => {}));
    const refresh = setInterval(() => this.#refresh(), Math.max(1000, Math.floor(this.ttlMs / 3)));
    const sweep = setInterval(() => { for (const b of this.#bindings.values()) void b.sweep(); }, this.#sweepMs);
    for (const t of [refresh, sweep]) t.unref();
    this.#timers.push(refresh, sweep);
  }

  bind(channel: string, host: SessionHostBinding): ChannelSessions {
    const binding = new RedisChannelSessions(this, channel, host, () => {
      if (this.#bindings.get(channel) === binding) this.#bindings.delete(channel);
    });
    this.#bindings.set(channel, binding);
    return binding;
  }

  ready(): boolean {
    return !this.#closed && this.cmd.status === 'ready';
  }

  // MirrorHost: called by the mirrors.
  added(mirror: RedisMirror): void {
    this.#mirrors.add(mirror);
    this.changed(mirror);
  }

  changed(mirror: RedisMirror): void {
    if (!mirror.active) return;
    this.#dirty.add(mirror);
    this.#queueFlush();
  }

  stopped(mirror: RedisMirror, drop: boolean): void {
    this.#mirrors.delete(mirror);
    this.#dirty.delete(mirror);
    if (drop) {
      this.#drops.push(mirror);
      this.#queueFlush();
    }
  }

  #queueFlush(): void {
    if (this.#flushQueued || this.#closed) return;
    this.#flushQueued = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    const dirty = this.#dirty;
    const drops = this.#drops;
    this.#dirty = new Set();
    this.#drops = [];
    if (!this.ready()) {
      // Nothing is queued while Redis is away: the sessions go on locally, and write in full later.
      for (const m of dirty) m.write(this.cmd.pipeline())(null);
      return;
    }
    const p = this.cmd.pipeline();
    const appends = new FrameAppends(this.ttlMs);
    const done = [...dirty].map((m) => m.write(p, appends));
    appends.queue(p);
    for (const m of drops) {
      p.del(...this.keys.all(m.member));
      p.srem(this.keys.owned(m.channel, this.nodeId), m.member);
    }
    void run(p, done);
  }

  #refresh(): void {
    if (!this.ready() || this.#mirrors.size === 0) return;
    const p = this.cmd.pipeline();
    const channels = new Set<string>();
    const done = [...this.#mirrors].map((m) => {
      channels.add(m.channel);
      return m.refresh(p);
    });
    for (const ch of channels) p.sadd(this.keys.owners(ch), this.nodeId);
    void run(p, done);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Deletions of sessions that just ended (a graceful stop ends them all) go out first.
    if (this.#flushQueued) this.#flush();
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.handover.stop();
    await Promise.all([this.cmd.quit(), this.#sub.quit()]).catch(() => {});
    this.cmd.disconnect();
    this.#sub.disconnect();
  }
}
