/**
 * The Redis backplane: each node has one command connection (registry writes, publishes,
 * replies) and one subscriber connection. Fan-out goes over one pub/sub channel per resource;
 * point-to-point commands, requests and replies over one channel per node. A node applies its
 * own publications locally at once and ignores their echo. While Redis is unreachable local
 * delivery goes on, shipments to other nodes are dropped and counted, and on reconnection the
 * node re-registers itself, its connections and its memberships.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ClusterCommand } from '../../messaging/commands.ts';
import type { Backplane, BackplaneNode, MemberKind, RequestOutcome } from '../types.ts';
import { createClient } from './clients.ts';
import { RedisBackplaneError, redactBackplaneUrl } from './errors.ts';
import { heartbeat } from './heartbeat.ts';
import { sayGoodbye } from './goodbye.ts';
import { RedisKeys } from './keys.ts';
import { resolveOptions } from './options.ts';
import type { RedisBackplaneOptions, ResolvedOptions } from './options.ts';
import { choosePubSub } from './server.ts';
import { Messenger } from './messenger.ts';
import type { BackplaneStats, Counters } from './messenger.ts';
import { LocalNodes } from './local-nodes.ts';
import { LocalRegistry } from './registry.ts';
import { defineScripts } from './scripts.ts';
import type { ScriptCommands } from './scripts.ts';
import { Subscriptions } from './subscriptions.ts';

export class RedisBackplane implements Backplane {
  readonly nodeId: string;
  readonly #o: ResolvedOptions;
  readonly #keys: RedisKeys;
  readonly #pub: Redis & ScriptCommands;
  readonly #sub: Redis;
  readonly #subs: Subscriptions;
  readonly #registry: LocalRegistry;
  readonly #messenger: Messenger;
  readonly #local: LocalNodes;
  /** The other live nodes' connection counts per resource, as of the last heartbeat. */
  #others = new Map<string, number>();
  #live = new Set<string>();
  readonly #stats: Counters = { published: 0, received: 0, dropped: 0, malformed: 0, requestTimeouts: 0, requestErrors: 0, reconnects: 0 };
  #timer: NodeJS.Timeout | undefined;
  /** The heartbeat in progress, if any (one at a time). */
  #beating: Promise<void> | undefined;
  #needsResync = false;
  #lastResync = 0;
  #started = false;
  /** `close` has begun (no more heartbeats) / has ended (nothing more goes to Redis). */
  #closing = false;
  #closed = false;

  constructor(options: RedisBackplaneOptions) {
    this.#o = resolveOptions(options);
    this.nodeId = `${this.#o.name}~${randomBytes(4).toString('hex')}`;
    this.#keys = new RedisKeys(this.#o.prefix);
    this.#local = new LocalNodes(this.#o.log);
    const onError = (err: Error) => { this.#stats.lastError = err.message; };
    this.#pub = defineScripts(createClient(this.#o.url, `lapis:${this.nodeId}:cmd`, this.#o.log, onError));
    this.#sub = createClient(this.#o.url, `lapis:${this.nodeId}:sub`, this.#o.log, onError);
    this.#subs = new Subscriptions(this.#sub, (err) => this.#noteError(err));
    this.#registry = new LocalRegistry({
      keys: this.#keys,
      nodeId: this.nodeId,
      ttlMs: this.#o.registryTtlMs,
      client: () => (this.#ready() ? this.#pub : undefined),
      onWriteError: (err) => { this.#needsResync = true; this.#noteError(err); },
    });
    this.#messenger = new Messenger({
      client: this.#pub,
      keys: this.#keys,
      nodeId: this.nodeId,
      log: this.#o.log,
      maxMessageBytes: this.#o.maxMessageBytes,
      requestTimeoutMs: this.#o.requestTimeoutMs,
      counters: this.#stats,
      ready: () => this.#ready(),
      sharded: () => this.#subs.sharded,
      beforeShip: () => this.#registry.flush(),
      applyLocal: (channel, command) => this.#local.apply(channel, command),
    });
  }

  /** Connects both connections, subscribes, registers this node and starts the heartbeat. */
  async connect(): Promise<void> {
    try {
      await Promise.all([this.#pub.connect(), this.#sub.connect()]).catch((err: unknown) => {
        throw new RedisBackplaneError('BackplaneUnreachable', `Redis at ${redactBackplaneUrl(this.#o.url)} could not be reached: ${(err as Error).message}`, err);
      });
      const sharded = await choosePubSub(this.#pub, this.#o.pubsub);
      this.#subs.start(sharded, (message) => this.#messenger.receive(message));
      await this.#subs.add(this.#keys.inbox(this.nodeId), true);
      for (const channel of this.#local.channels()) await this.#subs.add(this.#keys.resourceChannel(channel), true);
      await this.#tick(true);
    } catch (err) {
      this.#pub.disconnect();
      this.#sub.disconnect();
      if (err instanceof RedisBackplaneError) throw err;
      throw new RedisBackplaneError('BackplaneUnreachable', `Redis at ${redactBackplaneUrl(this.#o.url)} refused the backplane: ${(err as Error).message}`, err);
    }
    this.#started = true;
    this.#pub.on('ready', () => void this.#reconnected());
    this.#sub.on('ready', () => void this.#subs.restore());
    this.#timer = setInterval(() => void this.#tick(), this.#o.heartbeatMs);
    this.#timer.unref();
    this.#o.log.info({ node: this.nodeId, pubsub: this.#subs.sharded ? 'sharded' : 'plain' }, 'redis backplane connected');
  }

  /** Where this backplane lives, for pieces that keep their own state next to it (reliable sessions): the URL without `?prefix=`, and the prefix. */
  get location(): { url: string; prefix: string } {
    return { url: this.#o.url, prefix: this.#o.prefix };
  }

  get pubsubMode(): 'sharded' | 'plain' {
    return this.#subs.sharded ? 'sharded' : 'plain';
  }

  stats(): BackplaneStats {
    return { ...this.#stats, ...this.#messenger.latency(), connected: this.#ready() && this.#sub.status === 'ready', liveNodes: this.#live.size };
  }

  join(channel: string, node: BackplaneNode): () => void {
    if (this.#local.add(channel, node) && this.#started) void this.#subs.add(this.#keys.resourceChannel(channel));
    return () => {
      if (!this.#local.remove(channel, node)) return;
      this.#others.delete(channel);
      this.#registry.forgetChannel(channel);
      void this.#subs.remove(this.#keys.resourceChannel(channel));
    };
  }

  publish(channel: string, command: ClusterCommand): void {
    this.#local.apply(channel, command);
    this.#messenger.ship(this.#keys.resourceChannel(channel), { k: 'pub', from: this.nodeId, ch: channel, cmd: command });
  }

  async request(channel: string, command: ClusterCommand): Promise<RequestOutcome> {
    const local = this.#local.apply(channel, command);
    const others = (await this.nodes()).filter((n) => n !== this.nodeId);
    return others.length === 0 ? { results: local, unanswered: [] } : this.#messenger.ask(others, channel, command, local);
  }

  /** Live nodes from Redis; the last known ones while Redis is unreachable. */
  async nodes(): Promise<string[]> {
    if (this.#ready()) {
      try {
        this.#live = new Set(await this.#pub.lapisLiveNodes(this.#keys.nodes, this.#keys.nodePrefix));
        this.#live.add(this.nodeId);
      } catch (err) {
        this.#stats.requestErrors++;
        this.#noteError(err);
      }
    }
    return [...this.#live];
  }

  sendTo(nodeId: string, channel: string, command: ClusterCommand): void {
    if (nodeId === this.nodeId) this.#local.apply(channel, command);
    else this.#messenger.ship(this.#keys.inbox(nodeId), { k: 'p2p', from: this.nodeId, ch: channel, cmd: command });
  }

  async requestFrom(nodeId: string, channel: string, command: ClusterCommand): Promise<RequestOutcome> {
    if (nodeId === this.nodeId) return { results: this.#local.apply(channel, command), unanswered: [] };
    return this.#messenger.ask([nodeId], channel, command, []);
  }

  connectionAdded(channel: string, hub: string, connectionId: string, userId: string | undefined): void {
    this.#registry.connectionAdded(channel, hub, connectionId, userId);
  }

  connectionRemoved(channel: string, hub: string, connectionId: string, userId: string | undefined): void {
    this.#registry.connectionRemoved(channel, hub, connectionId, userId);
  }

  groupJoined(channel: string, hub: string, group: string): void {
    this.#registry.member('group', channel, hub, group, 1);
  }

  groupLeft(channel: string, hub: string, group: string): void {
    this.#registry.member('group', channel, hub, group, -1);
  }

  locateConnection(channel: string, hub: string, connectionId: string): string | undefined | Promise<string | undefined> {
    if (this.#registry.hasLocalConnection(channel, hub, connectionId)) return this.nodeId;
    if (!this.#ready()) {
      this.#stats.dropped++; // the command cannot reach the connection's node
      return undefined;
    }
    return this.#pub.lapisLocate(this.#keys.connection(channel, hub, connectionId), this.#keys.nodePrefix).then(
      (node) => node ?? undefined,
      (err: unknown) => {
        this.#noteError(err);
        this.#stats.requestErrors++;
        this.#stats.dropped++;
        return undefined;
      },
    );
  }

  async hasMembers(channel: string, hub: string, kind: MemberKind, name: string): Promise<boolean | undefined> {
    if (this.#registry.hasLocalMembers(kind, channel, hub, name)) return true;
    if (!this.#ready()) return undefined;
    try {
      return (await this.#pub.lapisLiveSum(this.#keys.members(kind, channel, hub, name), this.#keys.nodePrefix, '')) > 0;
    } catch (err) {
      this.#stats.requestErrors++;
      this.#noteError(err);
      return undefined;
    }
  }

  connectionCount(channel: string): number {
    return this.#registry.localCount(channel) + (this.#others.get(channel) ?? 0);
  }

  /** Heartbeat now (and a registry resync when due): tests and health checks use it. */
  async sync(): Promise<void> {
    await this.#beating;
    await this.#tick();
  }

  /**
   * Stops this node. With `unregister` (the default) its heartbeat key is deleted first, so the
   * other nodes stop counting it at once; without, it vanishes as a crashed node would.
   */
  async close(options: { unregister?: boolean } = {}): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#timer);
    this.#messenger.settleAll();
    if (options.unregister !== false && this.#ready()) {
      await sayGoodbye({ pub: this.#pub, sub: this.#sub, keys: this.#keys, nodeId: this.nodeId, registry: this.#registry, onError: (err) => this.#noteError(err) });
    }
    this.#closed = true;
    this.#pub.disconnect();
    this.#sub.disconnect();
  }

  #ready(): boolean {
    return !this.#closed && this.#pub.status === 'ready';
  }

  /** One heartbeat (joins the one running; skipped while Redis is unreachable). */
  #tick(strict = false): Promise<void> {
    if (this.#beating) return this.#beating;
    if (!this.#ready() || this.#closing) return Promise.resolve();
    this.#beating = this.#beat(strict).finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  /** Errors are noted (and thrown when `strict`: the first heartbeat of `connect`). */
  async #beat(strict: boolean): Promise<void> {
    try {
      const counts = new Map<string, number>();
      for (const channel of this.#local.channels()) counts.set(channel, this.#registry.localCount(channel));
      const beat = await heartbeat(this.#pub, { keys: this.#keys, nodeId: this.nodeId, nodeTtlMs: this.#o.nodeTtlMs, registryTtlMs: this.#o.registryTtlMs, counts });
      beat.live.add(this.nodeId);
      this.#live = beat.live;
      this.#others = beat.others;
      this.#messenger.forgetDead(beat.live);
      const due = Date.now() - this.#lastResync >= this.#o.registryTtlMs / 3;
      if (beat.wasMissing || this.#needsResync || due) await this.#resync();
    } catch (err) {
      this.#noteError(err);
      if (strict) throw err;
    }
  }

  async #resync(): Promise<void> {
    this.#needsResync = false;
    this.#lastResync = Date.now();
    try {
      await this.#registry.resync(this.#pub);
    } catch (err) {
      this.#needsResync = true;
      throw err;
    }
  }

  /** The command connection is back: re-register this node and everything it holds. */
  async #reconnected(): Promise<void> {
    this.#stats.reconnects++;
    this.#needsResync = true;
    this.#o.log.info({ node: this.nodeId, entries: this.#registry.size }, 'redis backplane reconnected; re-registering');
    await this.#tick();
  }

  #noteError(err: unknown): void {
    this.#stats.lastError = err instanceof Error ? err.message : String(err);
  }
}
