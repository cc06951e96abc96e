/**
 * The backplane's own numbers, read from its `stats()` at scrape time: the backplane counts and
 * times where it publishes and requests (a `LatencyRecorder` is two additions), and metrics only
 * reads. The in-process backplane has nothing to lose or time and reports zeros.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { emptyLatency, type LatencySnapshot } from './latency.ts';
import { registerSnapshotHistogram } from './snapshot-families.ts';

/** What metrics reads from a backplane; every count is cumulative (never reset). Absent counts read as 0. */
export interface BackplaneStats {
  /** Whether this node's link to the backplane is up now (always true in process). */
  connected: boolean;
  /** Messages handed to the backplane (fan-out, point-to-point, requests, replies). */
  published?: number;
  /** Messages received from other nodes. */
  received?: number;
  /** Shipments not made: backplane unreachable, a failed publish, a message over the size limit. */
  dropped?: number;
  /** Inbound messages refused by the decoder. */
  malformed?: number;
  /** Requests that gave up waiting for some node's answer, and those that failed otherwise. */
  requestTimeouts?: number;
  requestErrors?: number;
  /** Times the link came back after being lost. */
  reconnects?: number;
  /** Nodes seen alive (this one included). */
  liveNodes?: number;
  /** Latency of publishes (until the backplane took the message) and of requests (until every answer or the deadline). */
  publishLatency?: LatencySnapshot;
  requestLatency?: LatencySnapshot;
  lastError?: string | undefined;
}

export interface BackplaneStatsSource {
  stats(): BackplaneStats;
}

export interface BackplaneReading {
  kind: string;
  stats: BackplaneStats;
}

const COUNTERS = [
  ['lapis_backplane_published_total', 'published', 'Messages this node handed to the backplane (fan-out, point-to-point, requests, replies).'],
  ['lapis_backplane_received_total', 'received', 'Messages this node received from other nodes through the backplane.'],
  ['lapis_backplane_dropped_total', 'dropped', 'Shipments not made (backplane unreachable, a failed publish, a message over the size limit): publish errors.'],
  ['lapis_backplane_malformed_total', 'malformed', 'Inbound backplane messages refused by the decoder.'],
  ['lapis_backplane_request_timeouts_total', 'requestTimeouts', 'Backplane requests that gave up waiting for some node\'s answer.'],
  ['lapis_backplane_request_errors_total', 'requestErrors', 'Backplane requests that failed for another reason than a timeout.'],
  ['lapis_backplane_reconnects_total', 'reconnects', 'Times this node\'s backplane link came back after being lost.'],
] as const;

export class BackplaneMetrics {
  #kind = 'unknown';
  #source: BackplaneStatsSource | undefined;

  constructor(registry: Registry) {
    const read = () => this.read();
    new Gauge({
      name: 'lapis_backplane_connected',
      help: 'Whether this node\'s link to the backplane is up (1) or not (0), by backplane kind (in-process, redis).',
      labelNames: ['kind'], registers: [registry],
      collect() {
        const { kind, stats } = read();
        this.reset();
        this.set({ kind }, stats.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'lapis_backplane_live_nodes',
      help: 'Nodes this node sees alive through the backplane, itself included.',
      labelNames: ['kind'], registers: [registry],
      collect() {
        const { kind, stats } = read();
        this.reset();
        this.set({ kind }, stats.liveNodes ?? (stats.connected ? 1 : 0));
      },
    });
    for (const [name, field, help] of COUNTERS) {
      new Counter({
        name, help, labelNames: ['kind'], registers: [registry],
        collect() {
          const { kind, stats } = read();
          this.reset();
          this.inc({ kind }, stats[field] ?? 0);
        },
      });
    }
    registerSnapshotHistogram(registry, {
      name: 'lapis_backplane_publish_duration_seconds',
      help: 'Time a backplane publish took until the backplane took the message (no observations in process).',
      read: () => { const { kind, stats } = read(); return [{ labels: { kind }, latency: stats.publishLatency ?? emptyLatency() }]; },
    });
    registerSnapshotHistogram(registry, {
      name: 'lapis_backplane_request_duration_seconds',
      help: 'Time a backplane request took until every node answered or it gave up (no observations in process).',
      read: () => { const { kind, stats } = read(); return [{ labels: { kind }, latency: stats.requestLatency ?? emptyLatency() }]; },
    });
  }

  /** The node's backplane and its kind (`in-process`, `redis`). */
  setSource(kind: string, source: BackplaneStatsSource): void {
    this.#kind = kind;
    this.#source = source;
  }

  /** The backplane's stats now; none set, or a `stats()` that throws, reads as disconnected. */
  read(): BackplaneReading {
    try {
      if (this.#source) return { kind: this.#kind, stats: this.#source.stats() };
    } catch (err) {
      return { kind: this.#kind, stats: { connected: false, lastError: err instanceof Error ? err.message : String(err) } };
    }
    return { kind: this.#kind, stats: { connected: false, lastError: 'no backplane is attached to the metrics' } };
  }
}
