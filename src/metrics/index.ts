/**
 * Observability of one node: Prometheus metrics (`GET {httpUrl}/metrics`) and the node's
 * `/api/health` (store and backplane reachability). docs/metrics.md lists every metric.
 */
export { createNodeMetrics, NodeMetrics, type NodeMetricsOptions } from './node-metrics.ts';
export { MAIN_ORIGIN } from './http-metrics.ts';
export { nameRoute } from './route-names.ts';
export type { ResourceSource } from './resource-metrics.ts';
export type { BackplaneReading, BackplaneStats, BackplaneStatsSource } from './backplane-metrics.ts';
export { LatencyRecorder, DEFAULT_LATENCY_BOUNDS, emptyLatency, type LatencySnapshot } from './latency.ts';
export { backplaneProbe, NodeHealth, type HealthReport, type NodeHealthOptions, type ProbeResult } from './health.ts';
