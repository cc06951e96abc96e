/**
 * REST calls per origin, counted by a fastify `onResponse` hook on each listener, after the
 * response is written. The hook does one string join, one map lookup and one `LatencyRecorder`
 * observation (well under a microsecond); the Prometheus families are built from those records
 * at scrape time. WebSocket upgrades do not pass through fastify's routing and are not counted
 * here: they show as connections.
 */
import type { FastifyInstance } from 'fastify';
import { observeFastLane } from '../net/index.ts';
import type { Registry } from 'prom-client';
import { methodLabel, routeLabel, statusClass } from './labels.ts';
import { LatencyRecorder } from './latency.ts';
import { routeNameOf } from './route-names.ts';
import { registerSnapshotCounter, registerSnapshotHistogram } from './snapshot-families.ts';

/** The `resource` label of the main listeners (identity, management, managed identity, health, metrics). */
export const MAIN_ORIGIN = '';

const BOUNDS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Series {
  labels: { resource: string; method: string; status: string; route: string };
  latency: LatencyRecorder;
}

export class HttpMetrics {
  /** One series per resource, method, status class and route: all bounded (see labels.ts). */
  readonly #series = new Map<string, Series>();

  constructor(registry: Registry) {
    const series = this.#series;
    registerSnapshotCounter(registry, {
      name: 'lapis_rest_requests_total',
      help: 'HTTP requests answered, by resource (empty for the main listeners), method, status class and route pattern (the data-plane operation for /api/ calls).',
      read: () => [...series.values()].map((s) => ({ labels: s.labels, value: s.latency.count })),
    });
    registerSnapshotHistogram(registry, {
      name: 'lapis_rest_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its response, by resource, method, status class and route pattern.',
      read: () => [...series.values()].map((s) => ({ labels: s.labels, latency: s.latency.snapshot() })),
    });
  }

  /** Counts every request `app` answers under `resource`; call before `app.ready()`. */
  instrument(app: FastifyInstance, resource: string): void {
    // A callback hook: no promise per request.
    app.addHook('onResponse', (req, reply, done) => {
      this.record(resource, methodLabel(req.method), statusClass(reply.statusCode), routeLabel(routeNameOf(req.raw) ?? req.routeOptions.url), reply.elapsedTime / 1000);
      done();
    });
    // Requests answered by a piece's fast lane never reach the hook (src/net/fast-lane.ts).
    observeFastLane(app, (a) => this.record(resource, methodLabel(a.method), statusClass(a.status), routeLabel(a.route), a.ms / 1000));
  }

  record(resource: string, method: string, status: string, route: string, seconds: number): void {
    const key = `${resource}\n${method}\n${status}\n${route}`;
    let s = this.#series.get(key);
    if (!s) this.#series.set(key, (s = { labels: { resource, method, status, route }, latency: new LatencyRecorder(BOUNDS) }));
    s.latency.observe(seconds);
  }
}
