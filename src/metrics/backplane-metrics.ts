/**
 * The backplane's own numbers, read from its `stats()` at scrape time: the backplane times its
 * publishes and requests where it does them (a `LatencyRecorder` is two additions), and metrics
 * only reads. The in-process backplane has nothing to time and reports zeros.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { emptyLatency, type LatencySnapshot } from './latency.ts';
import { registerSnapshotHistogram } from './snapshot-histogram.ts';

export interface BackplaneStats {
  /** `in-process`, `redis`, … */
  kind: string;
  /** Whether this node's link to the backplane is up now (always true in process). */
  connected: boolean;
  /** Publishes that failed (the command did not reach the other nodes). */
  publishErrors: number;
  /** Requests that failed, and those that gave up waiting for some node's answer. */
  requestErrors: number;
  requestTimeouts: number;
  /** Latency of publishes and requests, when the backplane times them. */
  publishLatency?: LatencySnapshot;
  requestLatency?: LatencySnapshot;
}

/** What metrics and health need of a backplane. */
export interface BackplaneStatsSource {
  stats(): BackplaneStats;
}

const UNKNOWN: BackplaneStats = { kind: 'unknown', connected: false, publishErrors: 0, requestErrors: 0, requestTimeouts: 0 };

export class BackplaneMetrics {
  #source: BackplaneStatsSource | undefined;

  constructor(registry: Registry, source?: BackplaneStatsSource) {
    this.#source = source;
    const read = () => this.read();
    new Gauge({
      name: 'lapis_backplane_connected',
      help: 'Whether this node\'s link to the backplane is up (1) or not (0), by backplane kind.',
      labelNames: ['kind'], registers: [registry],
      collect() {
        const s = read();
        this.reset();
        this.set({ kind: s.kind }, s.connected ? 1 : 0);
      },
    });
    new Counter({
      name: 'lapis_backplane_publish_errors_total',
      help: 'Backplane publishes (fan-out commands) that did not reach the other nodes.',
      labelNames: ['kind'], registers: [registry],
      collect() {
        const s = read();
        this.reset();
        this.inc({ kind: s.kind }, s.publishErrors);
      },
    });
    new Counter({
      name: 'lapis_backplane_request_errors_total',
      help: 'Backplane requests (commands that need every node\'s answer) that failed, by reason (error, timeout).',
      labelNames: ['kind', 'reason'], registers: [registry],
      collect() {
        const s = read();
        this.reset();
        this.inc({ kind: s.kind, reason: 'error' }, s.requestErrors);
        this.inc({ kind: s.kind, reason: 'timeout' }, s.requestTimeouts);
      },
    });
    registerSnapshotHistogram(registry, {
      name: 'lapis_backplane_publish_duration_seconds',
      help: 'Time a backplane publish took to be handed to the backplane (zero observations in process).',
      read: () => { const s = read(); return [{ labels: { kind: s.kind }, latency: s.publishLatency ?? emptyLatency() }]; },
    });
    registerSnapshotHistogram(registry, {
      name: 'lapis_backplane_request_duration_seconds',
      help: 'Time a backplane request took until every node answered or it gave up (zero observations in process).',
      read: () => { const s = read(); return [{ labels: { kind: s.kind }, latency: s.requestLatency ?? emptyLatency() }]; },
    });
  }

  /** Replaces the backplane read (a cluster backplane set up after the metrics). */
  setSource(source: BackplaneStatsSource): void {
    this.#source = source;
  }

  /** The backplane's stats now; a `stats()` that throws reads as disconnected. */
  read(): BackplaneStats {
    if (!this.#source) return UNKNOWN;
    try {
      return this.#source.stats();
    } catch {
      return UNKNOWN;
    }
  }
}
