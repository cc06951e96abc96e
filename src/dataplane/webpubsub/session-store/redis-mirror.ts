/**
 * One reliable session's copy in Redis, written behind: changes (frames, acks, group and
 * permission changes) accumulate in memory and go out with the store's next flush, one pipeline
 * for every session changed in that turn of the event loop. The first write (and the first after a
 * failed one) writes the whole state.
 *
 * Sequence ids are reserved ahead (`ceiling`, SEQUENCE_BLOCK at a time, renewed at half): a frame
 * is sent to the client only when its id is at most the confirmed reservation, so a node that dies
 * after sending a frame it had not yet recorded cannot make the rebuilt session reuse that id.
 */
import type { ChainableCommander } from 'ioredis';
import type { ConnectionObserver, GroupAction } from '../../../messaging/index.ts';
import type { JsonSession, ReliableMirror } from '../../../protocols/webpubsub/index.ts';
import type { Outbound } from '../../../transports/index.ts';
import type { SessionKeys } from './redis-keys.ts';
import type { PermissionChange } from './types.ts';
import type { ScriptsOnPipeline } from './redis-scripts.ts';

/** What `exec` answers: one [error, reply] per queued command. */
export type Replies = Array<[Error | null, unknown]>;

/** Ids reserved per write of the reservation. */
export const SEQUENCE_BLOCK = 1000;
/** More permission changes than this on one connection and it is no longer mirrored (documented). */
export const MAX_PERMISSION_CHANGES = 2000;

export interface MirrorHost {
  readonly keys: SessionKeys;
  readonly nodeId: string;
  readonly ttlMs: number;
  /** Queues the mirror for the next flush. */
  changed(mirror: RedisMirror): void;
  /** The mirror stops; with `drop`, its record is deleted. */
  stopped(mirror: RedisMirror, drop: boolean): void;
}

export class RedisMirror implements ReliableMirror, ConnectionObserver {
  readonly channel: string;
  readonly member: string;
  readonly session: JsonSession;
  readonly #host: MirrorHost;
  sendableThrough = 0;
  #confirmed = 0;
  /** The reservation being written, 0 when none. */
  #reserving = 0;
  #full = true;
  #frames: Array<[number, Buffer]> = [];
  #ackThrough = 0;
  #groups = new Map<string, boolean>();
  #pendingPermissions: PermissionChange[] = [];
  readonly #permissions: PermissionChange[] = [];
  #active = true;

  constructor(host: MirrorHost, channel: string, session: JsonSession, permissionChanges: readonly PermissionChange[] = []) {
    this.#host = host;
    this.#permissions.push(...permissionChanges);
    this.channel = channel;
    this.session = session;
    this.member = host.keys.member(channel, session.connection.hub, session.connection.connectionId);
  }

  get active(): boolean {
    return this.#active;
  }

  frame(sequenceId: number, message: Outbound): void {
    if (!this.#active) return;
    this.#frames.push([sequenceId, message.pieces.length === 1 ? message.pieces[0]! : Buffer.concat(message.pieces as Buffer[], message.length)]);
    this.#host.changed(this);
  }

  ack(sequenceId: number): void {
    if (!this.#active || sequenceId <= this.#ackThrough) return;
    this.#ackThrough = sequenceId;
    this.#host.changed(this);
  }

  groupChanged(group: string, joined: boolean): void {
    if (!this.#active) return;
    this.#groups.set(group, joined);
    this.#host.changed(this);
  }

  permissionChanged(change: 'grant' | 'revoke', action: GroupAction, group: string | undefined): void {
    if (!this.#active) return;
    if (this.#permissions.length >= MAX_PERMISSION_CHANGES) {
      // Replaying an unbounded history is not worth it: this one stays local (and unbounded).
      this.#stop(true);
      this.#release(Infinity);
      return;
    }
    const c: PermissionChange = group === undefined ? { change, action } : { change, action, group };
    this.#permissions.push(c);
    this.#pendingPermissions.push(c);
    this.#host.changed(this);
  }

  ended(): void {
    this.#stop(true);
  }

  retired(): void {
    this.#stop(false);
  }

  /** Redis lost what it had, or a write failed: the next flush writes everything again. */
  rewrite(): void {
    this.#full = true;
    this.#reserving = 0;
    this.#host.changed(this);
  }

  /**
   * Queues this mirror's pending changes on a pipeline and returns what to do with the pipeline's
   * replies (null: it failed — the session goes on unbounded until a full rewrite succeeds).
   */
  write(p: ChainableCommander, appends?: FrameAppends): (replies: Replies | null) => void {
    const state = this.session.reliableState!;
    const last = state.buffer.lastSequenceId;
    let ceiling: number | undefined;
    if (this.#full || (this.#reserving === 0 && last + SEQUENCE_BLOCK / 2 > this.#confirmed)) ceiling = last + SEQUENCE_BLOCK;
    const at = p.length;
    const full = this.#full;
    if (full) this.#writeFull(p, ceiling!);
    else this.#writeChanges(p, ceiling, appends);
    this.#full = false;
    this.#frames = [];
    this.#ackThrough = 0;
    this.#groups = new Map();
    this.#pendingPermissions = [];
    if (ceiling !== undefined) this.#reserving = ceiling;
    return (replies) => {
      if (!this.#active) return;
      if (!replies || replies.slice(at).some(([err]) => err) || (appends && !appends.ok(replies))) {
        this.#full = true;
        this.#reserving = 0;
        this.#release(Infinity);
        return;
      }
      if (full && replies[at]?.[1] === 0) {
        // Another node adopted this session while this one could not reach Redis: it wins, and
        // the client is cut here so that it recovers there.
        this.session.retire();
        return;
      }
      if (ceiling === undefined || this.#reserving !== ceiling) return;
      this.#reserving = 0;
      this.#confirmed = ceiling;
      this.#release(ceiling);
    };
  }

  /** Refreshes the record's TTL and reads its owner (see `ownerIs`). */
  refresh(p: ChainableCommander): (replies: Replies | null) => void {
    const keys = this.#host.keys;
    const at = p.length;
    p.hget(keys.metaPrefix + this.member, 'owner');
    for (const k of keys.all(this.member)) p.pexpire(k, this.#host.ttlMs);
    return (replies) => {
      if (!replies || !this.#active) return;
      const owner = replies[at]?.[1];
      if (owner === null) this.rewrite(); // Redis lost it (or it expired while this node stalled)
      else if (typeof owner === 'string' && owner !== this.#host.nodeId) this.session.retire();
    };
  }

  #writeFull(p: ChainableCommander, ceiling: number): void {
    const s = this.session;
    const state = s.reliableState!;
    const c = s.connection;
    const keys = this.#host.keys;
    const fields: string[] = [
      'token', state.tokenHash, 'hub', c.hub, 'connectionId', c.connectionId,
      'roles', JSON.stringify(s.roles), 'protocol', s.protocol, 'ceiling', String(ceiling),
    ];
    if (c.userId !== undefined) fields.push('user', c.userId);
    const frames: Array<number | Buffer> = [];
    for (const f of state.buffer.entries()) frames.push(f.sequenceId, Buffer.concat(f.message.pieces as Buffer[], f.message.length));
    const groups = [...c.groups];
    const permissions = this.#permissions.map((x) => JSON.stringify(x));
    (p as unknown as ScriptsOnPipeline).sessWriteFull(
      ...keys.all(this.member), keys.owned(this.channel, this.#host.nodeId), keys.owners(this.channel),
      this.#host.nodeId, this.#host.ttlMs, this.member, fields.length / 2, frames.length / 2, groups.length, permissions.length,
      ...fields, ...frames, ...groups, ...permissions,
    );
  }

  #writeChanges(p: ChainableCommander, ceiling: number | undefined, appends: FrameAppends | undefined): void {
    const [meta, frames, groups, permissions] = this.#host.keys.all(this.member);
    const ttl = this.#host.ttlMs;
    // Each key a delta may create gets its TTL again: should the record have been deleted
    // meanwhile (ended by another node), what this write recreates still expires.
    if (appends) {
      if (this.#frames.length > 0 || this.#ackThrough > 0) appends.add(frames, this.#ackThrough, this.#frames);
    } else {
      if (this.#frames.length > 0) p.zadd(frames, ...this.#frames.flat()).pexpire(frames, ttl);
      if (this.#ackThrough > 0) p.zremrangebyscore(frames, '-inf', this.#ackThrough);
    }
    if (this.#groups.size > 0) {
      for (const [g, joined] of this.#groups) {
        if (joined) p.sadd(groups, g);
        else p.srem(groups, g);
      }
      p.pexpire(groups, ttl);
    }
    if (this.#pendingPermissions.length > 0) p.rpush(permissions, ...this.#pendingPermissions.map((x) => JSON.stringify(x))).pexpire(permissions, ttl);
    if (ceiling !== undefined) p.hset(meta, 'ceiling', String(ceiling)).pexpire(meta, ttl);
  }

  #release(limit: number): void {
    const previous = this.sendableThrough;
    this.sendableThrough = limit;
    if (limit > previous) this.session.released(previous);
  }

  #stop(drop: boolean): void {
    if (!this.#active) return;
    this.#active = false;
    if (this.session.connection.observer === this) this.session.connection.observer = undefined;
    this.#host.stopped(this, drop);
  }
}

/** Runs a pipeline and hands its replies (null when it failed as a whole) to each callback. */
export async function run(p: ChainableCommander, done: ReadonlyArray<(replies: Replies | null) => void>): Promise<Replies | null> {
  const replies = await p.exec().then((r) => r ?? null, () => null);
  for (const d of done) d(replies);
  return replies;
}

/** Most bytes of frames per append call (a bigger flush makes several calls). */
const APPEND_CALL_BYTES = 4 * 1024 * 1024;

/**
 * Frames and acknowledgements of every session in one flush, written by a few script calls
 * queued at the end of the flush's pipeline (each session's own commands come before them).
 */
export class FrameAppends {
  readonly #ttlMs: number;
  #calls: Array<Array<string | number | Buffer>> = [];
  #current: Array<string | number | Buffer> | undefined;
  #bytes = 0;
  /** Pipeline positions of the calls, for `ok`. */
  #positions: number[] = [];

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  add(key: string, ackThrough: number, frames: ReadonlyArray<[number, Buffer]>): void {
    if (!this.#current || this.#bytes > APPEND_CALL_BYTES) {
      this.#current = [this.#ttlMs];
      this.#calls.push(this.#current);
      this.#bytes = 0;
    }
    this.#current.push(key, ackThrough, frames.length);
    for (const [sequenceId, bytes] of frames) {
      this.#current.push(sequenceId, bytes);
      this.#bytes += bytes.length;
    }
  }

  /** Queues the calls (after every session's own commands). */
  queue(p: ChainableCommander): void {
    for (const args of this.#calls) {
      this.#positions.push(p.length);
      (p as unknown as ScriptsOnPipeline).sessAppend(...args);
    }
  }

  ok(replies: Replies): boolean {
    return this.#positions.every((at) => !replies[at]?.[0]);
  }
}
