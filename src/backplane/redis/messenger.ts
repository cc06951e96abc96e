/**
 * What crosses Redis between nodes: shipping envelopes (size-checked, dropped and counted when
 * they cannot go), asking nodes and gathering their answers, and handling what arrives (decoded
 * defensively; a node ignores the echo of its own publications).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../log/index.ts';
import { LatencyRecorder } from '../../metrics/index.ts';
import type { LatencySnapshot } from '../../metrics/index.ts';
import type { ClusterCommand, CommandResult } from '../../messaging/commands.ts';
import type { RequestOutcome } from '../types.ts';
import { decodeEnvelope, encodeEnvelope, isFrom } from './codec.ts';
import type { Envelope } from './codec.ts';
import type { RedisKeys } from './keys.ts';
import { PendingRequests } from './requests.ts';

/** Cumulative counters (never reset), read by `stats()`. */
export interface Counters {
  published: number;
  received: number;
  dropped: number;
  malformed: number;
  requestTimeouts: number;
  requestErrors: number;
  reconnects: number;
  lastError?: string | undefined;
}

/**
 * For metrics and health (the shape src/metrics reads). Counters are cumulative: published
 * (fan-out, point-to-point, requests, replies handed to Redis), received (from other nodes),
 * dropped (Redis unreachable, a failed publish, over the size limit, a connection command whose
 * node could not be looked up), malformed (refused by the decoder), request timeouts, request
 * errors (a registry lookup that failed), reconnects of the command connection.
 */
export interface BackplaneStats extends Counters {
  connected: boolean;
  /** Live nodes as last seen, this one included. */
  liveNodes: number;
  /** Until Redis took a publish; until every answer (or the deadline) for a request. */
  publishLatency: LatencySnapshot;
  requestLatency: LatencySnapshot;
}

export interface MessengerOptions {
  client: Redis;
  keys: RedisKeys;
  nodeId: string;
  log: Logger;
  maxMessageBytes: number;
  requestTimeoutMs: number;
  counters: Counters;
  /** Whether the command connection can take a publish now. */
  ready(): boolean;
  sharded(): boolean;
  /** Called before anything is shipped: registry changes must reach Redis before the message. */
  beforeShip(): void;
  /** The local side: apply a command to this node's connections of a resource. */
  applyLocal(channel: string, command: ClusterCommand): CommandResult[];
}

export class Messenger {
  readonly #o: MessengerOptions;
  readonly #pending: PendingRequests;
  readonly #publishLatency = new LatencyRecorder();
  readonly #requestLatency = new LatencyRecorder();
  readonly #self: Buffer;

  constructor(options: MessengerOptions) {
    this.#o = options;
    this.#self = Buffer.from(options.nodeId, 'latin1');
    this.#pending = new PendingRequests((unanswered) => {
      this.#o.counters.requestTimeouts++;
      this.#o.log.warn({ unanswered, node: this.#o.nodeId }, 'backplane request timed out');
    });
  }

  latency(): { publishLatency: LatencySnapshot; requestLatency: LatencySnapshot } {
    return { publishLatency: this.#publishLatency.snapshot(), requestLatency: this.#requestLatency.snapshot() };
  }

  /** Encodes and publishes; false when the message was dropped (and counted). */
  ship(redisChannel: string, message: Envelope | Uint8Array): boolean {
    const { counters, client } = this.#o;
    const bytes = message instanceof Uint8Array ? message : encodeEnvelope(message);
    if (bytes.byteLength > this.#o.maxMessageBytes) {
      counters.dropped++;
      this.#o.log.warn({ bytes: bytes.byteLength, limit: this.#o.maxMessageBytes }, 'backplane message over the size limit not shipped');
      return false;
    }
    if (!this.#o.ready()) {
      counters.dropped++;
      return false;
    }
    this.#o.beforeShip();
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const started = performance.now();
    const sent = this.#o.sharded() ? client.spublish(redisChannel, data) : client.publish(redisChannel, data);
    sent.then(
      () => this.#publishLatency.observe((performance.now() - started) / 1000),
      (err: unknown) => {
        counters.dropped++;
        counters.lastError = err instanceof Error ? err.message : String(err);
      },
    );
    counters.published++;
    return true;
  }

  /** Sends a request to `nodes` and gathers their answers after `local` (never rejects). */
  async ask(nodes: string[], channel: string, command: ClusterCommand, local: CommandResult[]): Promise<RequestOutcome> {
    if (!this.#o.ready()) {
      this.#o.counters.dropped += nodes.length;
      return { results: local, unanswered: nodes };
    }
    const started = performance.now();
    const { id, done } = this.#pending.open(nodes, local, this.#o.requestTimeoutMs);
    const bytes = encodeEnvelope({ k: 'req', from: this.#o.nodeId, ch: channel, id, cmd: command });
    // A request that could not be shipped to a node is not waited for: that node counts as unanswered.
    for (const n of nodes) if (!this.ship(this.#o.keys.inbox(n), bytes)) this.#pending.giveUp(id, n);
    const outcome = await done;
    this.#requestLatency.observe((performance.now() - started) / 1000);
    return outcome;
  }

  /** Requests stop waiting for nodes that are no longer live. */
  forgetDead(live: ReadonlySet<string>): void {
    this.#pending.forgetDead(live);
  }

  settleAll(): void {
    this.#pending.settleAll();
  }

  receive(data: Buffer): void {
    // Our own publication, echoed by Redis: applied locally when it was published. Not counted.
    if (isFrom(data, this.#self)) return;
    const { counters } = this.#o;
    counters.received++;
    const decoded = decodeEnvelope(data, this.#o.maxMessageBytes);
    if (!decoded.ok) {
      counters.malformed++;
      this.#o.log.warn({ reason: decoded.reason, node: this.#o.nodeId }, 'malformed backplane message dropped');
      return;
    }
    const e = decoded.envelope;
    switch (e.k) {
      case 'pub':
      case 'p2p':
        this.#o.applyLocal(e.ch, e.cmd);
        return;
      case 'req':
        this.ship(this.#o.keys.inbox(e.from), { k: 'rep', from: this.#o.nodeId, id: e.id, res: this.#o.applyLocal(e.ch, e.cmd) });
        return;
      case 'rep':
        this.#pending.answer(e.id, e.from, e.res);
    }
  }
}
