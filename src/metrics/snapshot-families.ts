/**
 * Prometheus families whose values are read at scrape time from plain numbers kept by the code
 * being measured (a `LatencySnapshot`, a count). prom-client's Histogram and Counter hash their
 * label set on every update (about 2 µs for a counter and a histogram with four labels); a
 * registry renders any object with `get()` returning the family's values, which is what these are.
 */
import type { Metric, Registry } from 'prom-client';
import type { LatencySnapshot } from './latency.ts';

interface Value { metricName?: string; labels: Record<string, string | number>; value: number }

function register(registry: Registry, name: string, help: string, type: 'histogram' | 'counter', values: () => Value[]): void {
  const metric = {
    name, help, type, aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
    // Registry#resetMetrics calls it; the owner of the numbers holds them.
    reset: () => {},
  };
  registry.registerMetric(metric as unknown as Metric);
}

/** A histogram family: one series per labelled snapshot. */
export function registerSnapshotHistogram(registry: Registry, spec: {
  name: string;
  help: string;
  /** Labelled snapshots, read at each scrape. */
  read(): { labels: Record<string, string>; latency: LatencySnapshot }[];
}): void {
  const { name } = spec;
  register(registry, name, spec.help, 'histogram', () => {
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
    return values;
  });
}

/** A counter family: one series per labelled count. */
export function registerSnapshotCounter(registry: Registry, spec: {
  name: string;
  help: string;
  read(): { labels: Record<string, string>; value: number }[];
}): void {
  register(registry, spec.name, spec.help, 'counter', () => spec.read().map(({ labels, value }) => ({ labels, value })));
}
