/**
 * Node.js process metrics (CPU, memory, event-loop lag, GC, handles) from prom-client's
 * `collectDefaultMetrics`. They describe the process, not a node, and collecting them starts
 * process-wide monitors (an event-loop delay histogram, a GC observer) that prom-client never
 * stops. So they are created once per process in a private registry, and each node's registry
 * registers the same metric objects: every node exposes them with its own `node` label (default
 * labels are applied when a registry renders), and starting many nodes in one process (tests)
 * does not start many monitors.
 */
import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';

let shared: Registry | undefined;

function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}

/** Adds the process metrics to a node's registry. */
export function addProcessMetrics(registry: Registry): void {
  // Typed as plain objects by prom-client, they are the Gauge/Counter/Histogram instances themselves.
  for (const metric of processRegistry().getMetricsAsArray()) registry.registerMetric(metric as unknown as Metric);
}
