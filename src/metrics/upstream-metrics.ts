/**
 * Upstream event deliveries (Web PubSub event handlers, SignalR serverless upstreams): one count
 * and one duration per event, retries included, by the final result. Targets that could not be
 * resolved (a Key Vault reference, a managed-identity token) never reach delivery and are not
 * counted here; they show in the resource's handler status and logs.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { DeliveryObserver, DeliveryResult } from '../upstream/index.ts';
import { statusClass } from './labels.ts';

export class UpstreamMetrics {
  readonly #requests: Counter<'resource' | 'result'>;
  readonly #duration: Histogram<'resource' | 'result'>;

  constructor(registry: Registry) {
    this.#requests = new Counter({
      name: 'lapis_upstream_requests_total',
      help: 'Event deliveries to upstream handlers, by resource and result (status class of the final answer, or timeout, network, too-large, refused, queue-full, unavailable).',
      labelNames: ['resource', 'result'], registers: [registry],
    });
    this.#duration = new Histogram({
      name: 'lapis_upstream_request_duration_seconds',
      help: 'Time an event delivery took, retries included, by resource and result.',
      labelNames: ['resource', 'result'], registers: [registry],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 100],
    });
  }

  /** The observer a resource's upstream calls after each delivery. */
  observer(resource: string): DeliveryObserver {
    return (result: DeliveryResult, seconds: number) => {
      const labels = { resource, result: typeof result === 'number' ? statusClass(result) : result };
      this.#requests.inc(labels);
      this.#duration.observe(labels, seconds);
    };
  }
}
