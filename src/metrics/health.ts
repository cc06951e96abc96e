/**
 * `/api/health` of a node's main listeners: whether this node can reach its store and its
 * backplane. Each probe is bounded by a short deadline, so a hung database makes the answer
 * "degraded" (503) instead of making health itself hang; concurrent health requests share one
 * probe run, so a flood of them costs one store read at a time.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { BackplaneReading } from './backplane-metrics.ts';

export interface ProbeResult {
  reachable: boolean;
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  node: string;
  store: ProbeResult;
  backplane: ProbeResult & { kind: string };
}

export interface NodeHealthOptions {
  node: string;
  /** A cheap store read; resolves when the store answered. */
  probeStore(): Promise<unknown>;
  /** The backplane's kind, and a round trip to it (resolves when it answered). */
  backplane: { kind(): string; probe(): Promise<unknown> };
  /** Deadline of each probe (default 2000 ms). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 2000;
/** Error texts are cut: health is an unauthenticated endpoint. */
const MAX_ERROR_CHARS = 200;

export class NodeHealth {
  readonly #o: NodeHealthOptions;
  #running: Promise<HealthReport> | undefined;

  constructor(options: NodeHealthOptions) {
    this.#o = options;
  }

  /** Runs both probes (or joins the run in progress). */
  check(): Promise<HealthReport> {
    this.#running ??= this.#check().finally(() => { this.#running = undefined; });
    return this.#running;
  }

  async #check(): Promise<HealthReport> {
    const timeoutMs = this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const [store, backplane] = await Promise.all([
      probe(() => this.#o.probeStore(), timeoutMs),
      probe(() => this.#o.backplane.probe(), timeoutMs),
    ]);
    return {
      status: store.reachable && backplane.reachable ? 'ok' : 'degraded',
      node: this.#o.node,
      store,
      backplane: { kind: this.#o.backplane.kind(), ...backplane },
    };
  }

  /** `GET /api/health` (HEAD too): the report, 200 when ok, 503 when degraded. */
  register(app: FastifyInstance): void {
    app.get('/api/health', async (_req, reply) => {
      const report = await this.check();
      return reply.code(report.status === 'ok' ? 200 : 503).header('cache-control', 'no-store').send(report);
    });
  }
}

/** The backplane side of health, from its stats: reachable while its link is up. */
export function backplaneProbe(backplane: { read(): BackplaneReading }): NodeHealthOptions['backplane'] {
  return {
    kind: () => backplane.read().kind,
    probe: async () => {
      const { stats } = backplane.read();
      if (!stats.connected) throw new Error(stats.lastError ?? 'the backplane link is down');
    },
  };
}

async function probe(run: () => Promise<unknown>, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // A probe that throws synchronously is a failed probe too.
    await Promise.race([Promise.resolve().then(run), deadline]);
    return { reachable: true, latencyMs: elapsed(started) };
  } catch (err) {
    return { reachable: false, latencyMs: elapsed(started), error: describe(err) };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const text = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  return (code + text).slice(0, MAX_ERROR_CHARS);
}
