/**
 * One node's metrics: a registry of its own (never prom-client's global one, so several nodes in
 * one process, as in tests, keep separate numbers), every metric named `lapis_…`, and the node's
 * name as a default label on every series.
 */
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { BackplaneMetrics, type BackplaneStatsSource } from './backplane-metrics.ts';
import { HttpMetrics } from './http-metrics.ts';
import { addProcessMetrics } from './process-metrics.ts';
import { ResourceMetrics } from './resource-metrics.ts';
import { StoreMetrics } from './store-metrics.ts';
import { UpstreamMetrics } from './upstream-metrics.ts';

export interface NodeMetricsOptions {
  /** This node's name: the `node` label of every series. */
  node: string;
  /** The node's backplane and its kind (its `stats()` is read at scrape time); settable later with `backplane.setSource`. */
  backplane?: { kind: string; source: BackplaneStatsSource } | undefined;
}

export class NodeMetrics {
  readonly node: string;
  readonly registry: Registry;
  readonly http: HttpMetrics;
  readonly resources: ResourceMetrics;
  readonly store: StoreMetrics;
  readonly upstream: UpstreamMetrics;
  readonly backplane: BackplaneMetrics;

  constructor(o: NodeMetricsOptions) {
    this.node = o.node;
    this.registry = new Registry();
    this.registry.setDefaultLabels({ node: o.node });
    addProcessMetrics(this.registry);
    this.http = new HttpMetrics(this.registry);
    this.resources = new ResourceMetrics(this.registry);
    this.store = new StoreMetrics(this.registry);
    this.upstream = new UpstreamMetrics(this.registry);
    this.backplane = new BackplaneMetrics(this.registry);
    if (o.backplane) this.backplane.setSource(o.backplane.kind, o.backplane.source);
  }

  /**
   * Reads the node's backplane from now on: its `stats()` when it has one (every Lapis backplane
   * does; the Backplane interface does not require it), else it reads as disconnected.
   */
  attachBackplane(kind: string, backplane: object): void {
    const source = backplane as Partial<BackplaneStatsSource>;
    if (typeof source.stats === 'function') this.backplane.setSource(kind, { stats: () => (backplane as BackplaneStatsSource).stats() });
  }

  /** `text/plain; version=0.0.4; charset=utf-8` (Prometheus text exposition). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric, in the Prometheus text format. */
  async scrape(): Promise<string> {
    // prom-client 15 writes a NaN value (the event-loop lag before its first sample) as `Nan`;
    // the format's spelling is `NaN`.
    return (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN');
  }

  /** `GET /metrics` on a listener (the node's main plain-HTTP one, loopback by default). */
  registerRoute(app: FastifyInstance): void {
    app.get('/metrics', async (_req, reply) => {
      const text = await this.scrape();
      return reply.header('content-type', this.contentType).header('cache-control', 'no-store').send(text);
    });
  }
}

export function createNodeMetrics(o: NodeMetricsOptions): NodeMetrics {
  return new NodeMetrics(o);
}
