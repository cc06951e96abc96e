/**
 * REST calls per origin, counted by a fastify `onResponse` hook on each listener: one counter
 * and one histogram update per request, after the response is written (never in its way).
 * WebSocket upgrades do not pass through fastify's routing and are not counted here: they show
 * as connections.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { methodLabel, routeLabel, statusClass } from './labels.ts';
import { routeNameOf } from './route-names.ts';

/** The `resource` label of the main listeners (identity, management, managed identity, health, metrics). */
export const MAIN_ORIGIN = '';

const LABELS = ['resource', 'method', 'status', 'route'] as const;

export class HttpMetrics {
  readonly #requests: Counter<(typeof LABELS)[number]>;
  readonly #duration: Histogram<(typeof LABELS)[number]>;

  constructor(registry: Registry) {
    this.#requests = new Counter({
      name: 'lapis_rest_requests_total',
      help: 'HTTP requests answered, by resource (empty for the main listeners), method, status class and route pattern (the data-plane operation for /api/ calls).',
      labelNames: LABELS, registers: [registry],
    });
    this.#duration = new Histogram({
      name: 'lapis_rest_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its response, by resource, method, status class and route pattern.',
      labelNames: LABELS, registers: [registry],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
  }

  /** Counts every request `app` answers under `resource`; call before `app.ready()`. */
  instrument(app: FastifyInstance, resource: string): void {
    app.addHook('onResponse', async (req, reply) => {
      const labels = {
        resource,
        method: methodLabel(req.method),
        status: statusClass(reply.statusCode),
        route: routeLabel(routeNameOf(req.raw) ?? req.routeOptions.url),
      };
      this.#requests.inc(labels);
      this.#duration.observe(labels, reply.elapsedTime / 1000);
    });
  }
}
