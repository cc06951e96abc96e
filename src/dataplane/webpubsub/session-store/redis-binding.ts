/**
 * One resource's reliable sessions in Redis: mirrors them, claims them for a recovering client
 * (asking a live owner to hand over first), gives them up when another node asks, and adopts the
 * sessions of owners whose heartbeat expired — so that messages sent to a dead node's clients
 * after its death is noticed are buffered by the adopter until the client comes back.
 */
import type { JsonSession, ReliableMirror } from '../../../protocols/webpubsub/index.ts';
import { hashReconnectionToken } from '../../../protocols/webpubsub/index.ts';
import type { SessionKeys } from './redis-keys.ts';
import { RedisMirror, run } from './redis-mirror.ts';
import type { MirrorHost } from './redis-mirror.ts';
import type { RawReply, ScriptsOnPipeline } from './redis-scripts.ts';
import { parseRecord } from './record.ts';
import type { RedisSessionStore } from './redis-store.ts';
import type { ChannelSessions, PermissionChange, RecoveryLookup, SessionHostBinding } from './types.ts';

/** The owner of sessions handed off by a stopping node: never a node id (those are `name~hex`), never alive. */
const RELEASED = '~released';

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

  track(session: JsonSession, permissionChanges: readonly PermissionChange[] = []): ReliableMirror | undefined {
    if (!session.reliable || session.ended) return undefined;
    const mirror = new RedisMirror(this, this.#channel, session, permissionChanges);
    this.#mirrors.get(mirror.member)?.retired();
    this.#mirrors.set(mirror.member, mirror);
    session.connection.observer = mirror;
    this.#store.added(mirror);
    return mirror;
  }

  async recover(hub: string, connectionId: string, token: string): Promise<RecoveryLookup> {
    const tokenHash = hashReconnectionToken(token);
    // A live owner is asked to hand over, then the claim is tried again (the owner may also have
    // released it meanwhile, or died): three claims at most, then the client retries later.
    for (let attempt = 0; ; attempt++) {
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
        if (!record) return { kind: 'unknown' };
        this.#store.log.info({ connectionId, hub: record.hub }, 'reliable session claimed for its recovering client');
        return { kind: 'claimed', record };
      }
      if (status !== 'live') return { kind: 'unknown' };
      const answer = attempt < 2 ? await this.#store.handover.ask(text(reply[1]) ?? '', this.#channel, hub.toLowerCase(), connectionId) : 'silent';
      // A silent owner is probably dead: its heartbeat will say so soon, and the client retries.
      if (answer === 'silent') return { kind: 'unavailable', reason: 'The node holding this session did not hand it over; try again.' };
    }
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
    (p as unknown as ScriptsOnPipeline).sessTransfer(
      keys.metaPrefix + member, keys.owned(this.#channel, this.nodeId), keys.owned(this.#channel, to), keys.owners(this.#channel),
      this.nodeId, to, member,
    );
    // Synchronously after the write was queued: nothing can be delivered here in between.
    if (session && written) session.retire();
    const replies = await run(p, written ? [written] : []);
    const moved = replies !== null && !replies.some(([err]) => err) && replies[replies.length - 1]?.[1] === 1;
    if (moved) this.#store.log.info({ connectionId, hub, to }, 'reliable session handed over to another node');
    return moved;
  }

  /**
   * This node stops (a rolling restart): every mirrored session writes what it has not written
   * yet and is dropped here without ending, its client closed with 1012 (Service Restart), which a
   * reliable client answers by recovering — through another node, once this one's heartbeat is gone.
   */
  async handOff(): Promise<void> {
    const mirrors = [...this.#mirrors.values()].filter((m) => m.active);
    if (mirrors.length === 0 || !this.#store.ready()) return;
    const keys = this.keys;
    const p = this.#store.cmd.pipeline();
    const done = mirrors.map((m) => {
      const written = m.write(p);
      // Released at once rather than when this node's heartbeat expires: claimable by the node
      // the client recovers on, and adopted by the next sweep of any other node.
      (p as unknown as ScriptsOnPipeline).sessTransfer(
        keys.metaPrefix + m.member, keys.owned(this.#channel, this.nodeId), keys.owned(this.#channel, RELEASED), keys.owners(this.#channel),
        this.nodeId, RELEASED, m.member,
      );
      return written;
    });
    for (const m of mirrors) m.session.retire({ code: 1012, reason: 'The node is restarting; recover on another node.' });
    const replies = await run(p, done);
    this.#store.log.info({ sessions: mirrors.length, written: replies !== null }, 'reliable sessions released for other nodes (stopping)');
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
          } else if (record && !this.#host.local(record.hub, record.connectionId)) {
            // It cannot live here (the connection limit): its client will be told 1008. (Already
            // here means a recovery claimed it at the same moment: nothing to do.)
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
