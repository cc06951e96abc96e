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

  constructor(host: MirrorHost, channel: string, session: JsonSession) {
    this.#host = host;
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
   * Queues this mirror's pending changes on a pipeline and returns what to do once the pipeline
   * ran (`ok` false: a write failed — the session goes on unbounded until a full rewrite succeeds).
   */
  write(p: ChainableCommander): (ok: boolean) => void {
    const s = this.session;
    const state = s.reliableState!;
    const last = state.buffer.lastSequenceId;
    const keys = this.#host.keys;
    const [meta, frames, groups, permissions] = keys.all(this.member);
    let ceiling: number | undefined;
    if (this.#full || (this.#reserving === 0 && last + SEQUENCE_BLOCK / 2 > this.#confirmed)) {
      ceiling = last + SEQUENCE_BLOCK;
    }
    if (this.#full) {
      this.#full = false;
      const c = s.connection;
      p.del(frames, groups, permissions);
      const fields: Record<string, string> = {
        owner: this.#host.nodeId, token: state.tokenHash, hub: c.hub, connectionId: c.connectionId,
        roles: JSON.stringify(s.roles), protocol: s.protocol, ceiling: String(ceiling),
      };
      if (c.userId !== undefined) fields.user = c.userId;
      p.hset(meta, fields);
      if (c.userId === undefined) p.hdel(meta, 'user');
      const entries = [...state.buffer.entries()];
      for (let i = 0; i < entries.length; i += 200) {
        const args: Array<number | Buffer> = [];
        for (const f of entries.slice(i, i + 200)) args.push(f.sequenceId, Buffer.concat(f.message.pieces as Buffer[], f.message.length));
        p.zadd(frames, ...args);
      }
      if (c.groups.size > 0) p.sadd(groups, ...c.groups);
      if (this.#permissions.length > 0) p.rpush(permissions, ...this.#permissions.map((x) => JSON.stringify(x)));
      p.sadd(keys.owned(this.channel, this.#host.nodeId), this.member).sadd(keys.owners(this.channel), this.#host.nodeId);
      for (const k of [meta, frames, groups, permissions]) p.pexpire(k, this.#host.ttlMs);
    } else {
      if (this.#frames.length > 0) p.zadd(frames, ...this.#frames.flat());
      if (this.#ackThrough > 0) p.zremrangebyscore(frames, '-inf', this.#ackThrough);
      for (const [g, joined] of this.#groups) {
        if (joined) p.sadd(groups, g);
        else p.srem(groups, g);
      }
      if (this.#pendingPermissions.length > 0) p.rpush(permissions, ...this.#pendingPermissions.map((x) => JSON.stringify(x)));
      if (ceiling !== undefined) p.hset(meta, 'ceiling', String(ceiling));
    }
    this.#frames = [];
    this.#ackThrough = 0;
    this.#groups = new Map();
    this.#pendingPermissions = [];
    if (ceiling !== undefined) this.#reserving = ceiling;
    return (ok) => {
      if (!this.#active) return;
      if (!ok) {
        this.#full = true;
        this.#reserving = 0;
        this.#release(Infinity);
        return;
      }
      if (ceiling === undefined || this.#reserving !== ceiling) return;
      this.#reserving = 0;
      this.#confirmed = ceiling;
      this.#release(ceiling);
    };
  }

  /** Refreshes the record's TTL (the owner is alive). */
  refresh(p: ChainableCommander): void {
    for (const k of this.#host.keys.all(this.member)) p.pexpire(k, this.#host.ttlMs);
    p.sadd(this.#host.keys.owned(this.channel, this.#host.nodeId), this.member);
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
