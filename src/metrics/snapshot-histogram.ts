/**
 * A Prometheus histogram whose values come from a `LatencySnapshot` read at scrape time.
 * prom-client's Histogram can only be fed observation by observation; a registry renders any
 * object with `get()` returning the metric's values, which is what this is.
 */
import type { Metric, Registry } from 'prom-client';
import type { LatencySnapshot } from './latency.ts';

interface Value { metricName: string; labels: Record<string, string | number>; value: number }

export function registerSnapshotHistogram(registry: Registry, spec: {
  name: string;
  help: string;
  /** Labelled snapshots, read at each scrape. */
  read(): { labels: Record<string, string>; latency: LatencySnapshot }[];
}): void {
  const { name, help } = spec;
  const metric = {
    name, help, type: 'histogram', aggregator: 'sum',
    get: async () => {
      const values: Value[] = [];
      for (const { labels, latency } of spec.read()) {
        let cumulative = 0;
        latency.bounds.forEach((bound, i) => {
          cumulative += latency.counts[i] ?? 0;
          values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
        });
        // +Inf and _count are the total of the buckets, so the series stay consistent whatever the source did.
        const total = cumulative + (latency.counts[latency.bounds.length] ?? 0);
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: total });
        values.push({ metricName: `${name}_sum`, labels, value: latency.sum });
        values.push({ metricName: `${name}_count`, labels, value: total });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
    // Registry#resetMetrics calls it; the snapshot's owner holds the values.
    reset: () => {},
  };
  registry.registerMetric(metric as unknown as Metric);
}
