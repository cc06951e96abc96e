/**
 * One resource's reliable sessions in Redis: mirrors them, claims them for a recovering client
 * (asking a live owner to hand over first), gives them up when another node asks, and adopts the
 * sessions of owners whose heartbeat expired — so that messages sent to a dead node's clients
 * after its death is noticed are buffered by the adopter until the client comes back.
 */
import type { JsonSession, ReliableMirror } from '../../../protocols/webpubsub/index.ts';
import { hashReconnectionToken } from '../../../protocols/webpubsub/index.ts';
import type { SessionKeys } from './redis-keys.ts';
import { RedisMirror } from './redis-mirror.ts';
import type { MirrorHost } from './redis-mirror.ts';
import type { RawReply, TransferOnPipeline } from './redis-scripts.ts';
import { parseRecord } from './record.ts';
import type { RedisSessionStore } from './redis-store.ts';
import type { ChannelSessions, RecoveryLookup, SessionHostBinding } from './types.ts';

const UNREACHABLE: RecoveryLookup = { kind: 'unavailable', reason: 'The session store is unreachable; try again.' };

export class RedisChannelSessions implements ChannelSessions, MirrorHost {
  readonly shared = true;
  readonly #store: RedisSessionStore;
  readonly #channel: string;
  readonly #host: SessionHostBinding;
  readonly #unbind: () => void;
  readonly #mirrors = new Map<string, RedisMirror>();
  #sweeping = false;

  constructor(store: RedisSessionStore, channel: string, host: SessionHostBinding, unbind: () => void) {
    this.#store = store;
    this.#channel = channel;
    this.#host = host;
    this.#unbind = unbind;
  }

  get keys(): SessionKeys {
    return this.#store.keys;
  }

  get nodeId(): string {
    return this.#store.nodeId;
  }

  get ttlMs(): number {
    return this.#store.ttlMs;
  }

  changed(mirror: RedisMirror): void {
    this.#store.changed(mirror);
  }

  stopped(mirror: RedisMirror, drop: boolean): void {
    if (this.#mirrors.get(mirror.member) === mirror) this.#mirrors.delete(mirror.member);
    this.#store.stopped(mirror, drop);
  }

  track(session: JsonSession): ReliableMirror | undefined {
    if (!session.reliable || session.ended) return undefined;
    const mirror = new RedisMirror(this, this.#channel, session);
    this.#mirrors.get(mirror.member)?.retired();
    this.#mirrors.set(mirror.member, mirror);
    session.connection.observer = mirror;
    this.#store.added(mirror);
    return mirror;
  }

  async recover(hub: string, connectionId: string, token: string): Promise<RecoveryLookup> {
    const tokenHash = hashReconnectionToken(token);
    // Twice at most: a live owner is asked to hand over once, then the claim must succeed.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.#store.ready()) return UNREACHABLE;
      let reply: RawReply;
      try {
        reply = await this.#claim(hub.toLowerCase(), connectionId, tokenHash);
      } catch (err) {
        this.#store.log.warn({ err }, 'reliable session claim failed');
        return UNREACHABLE;
      }
      const status = text(reply[0]);
      if (status === 'claimed') {
        const record = parseRecord(reply.slice(1));
        return record ? { kind: 'claimed', record } : { kind: 'unknown' };
      }
      if (status !== 'live') return { kind: 'unknown' };
      const owner = text(reply[1]) ?? '';
      if (!(await this.#store.handover.ask(owner, this.#channel, hub.toLowerCase(), connectionId))) {
        return { kind: 'unavailable', reason: 'The node holding this session did not hand it over; try again.' };
      }
    }
    return { kind: 'unavailable', reason: 'The session moved while it was being recovered; try again.' };
  }

  /** Another node asks for a session this node owns: write what is pending, transfer, drop it here. */
  async release(hub: string, connectionId: string, to: string): Promise<boolean> {
    if (!this.#store.ready()) return false;
    const keys = this.keys;
    const member = keys.member(this.#channel, hub, connectionId);
    const session = this.#host.local(hub, connectionId);
    const mirror = this.#mirrors.get(member);
    const p = this.#store.cmd.pipeline();
    const written = mirror && mirror.session === session ? mirror.write(p) : undefined;
    (p as unknown as TransferOnPipeline).sessTransfer(
      keys.metaPrefix + member, keys.owned(this.#channel, this.nodeId), keys.owned(this.#channel, to), keys.owners(this.#channel),
      this.nodeId, to, member,
    );
    // Synchronously after the write was queued: nothing can be delivered here in between.
    if (session && written) session.retire();
    const replies = await p.exec().catch(() => null);
    const ok = replies !== null && !replies.some(([err]) => err);
    written?.(ok);
    return ok && replies[replies.length - 1]?.[1] === 1;
  }

  /** Adopts the sessions of this resource whose owner's heartbeat expired (one sweep at a time). */
  async sweep(): Promise<void> {
    if (this.#sweeping || !this.#store.ready()) return;
    this.#sweeping = true;
    const { cmd, keys, nodeId } = this.#store;
    try {
      const dead = await cmd.sessDeadOwners(keys.owners(this.#channel), keys.nodePrefix, nodeId);
      for (const owner of dead) {
        for (;;) {
          const reply = await cmd.sessAdoptBuffer(
            keys.owned(this.#channel, owner), keys.owned(this.#channel, nodeId), keys.owners(this.#channel),
            keys.nodePrefix, owner, nodeId, keys.metaPrefix, keys.framesPrefix, keys.groupsPrefix, keys.permissionsPrefix, this.ttlMs,
          );
          if (text(reply[0]) !== 'adopted') break;
          const record = parseRecord(reply.slice(1));
          const session = record ? this.#host.adopt(record) : undefined;
          if (session) {
            this.#store.log.info({ connectionId: record!.connectionId, from: owner }, 'adopted a reliable session of a dead node');
          } else if (record) {
            // It cannot live here (connection limit, a duplicate id): its client will be told 1008.
            await cmd.del(...keys.all(keys.member(this.#channel, record.hub, record.connectionId)));
          }
        }
      }
    } catch (err) {
      this.#store.log.debug({ err }, 'reliable session sweep failed');
    } finally {
      this.#sweeping = false;
    }
  }

  unbind(): void {
    this.#unbind();
  }

  #claim(hub: string, connectionId: string, tokenHash: string): Promise<RawReply> {
    const { cmd, keys, nodeId, ttlMs } = this.#store;
    const member = keys.member(this.#channel, hub, connectionId);
    const [meta, frames, groups, permissions] = keys.all(member);
    return cmd.sessClaimBuffer(meta, frames, groups, permissions, keys.owned(this.#channel, nodeId), keys.owners(this.#channel),
      keys.nodePrefix, nodeId, keys.ownedPrefix(this.#channel), member, tokenHash, ttlMs);
  }
}

function text(v: Buffer | RawReply | undefined): string | undefined {
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}
