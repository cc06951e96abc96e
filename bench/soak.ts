/**
 * `npm run bench -- --soak [--soak-minutes 30]` — issue 16's soak: one Lapis holds a fixed mixed
 * load for the whole time, and its own `/metrics` are sampled to plot RSS, heap used, active
 * handles and connections over time (bench/results/soak.svg + soak.json). Not part of the default
 * run. The load, all on the load core:
 * - N receivers (`json.webpubsub.azure.v1`) in groups of 10 and in group `all`;
 * - one publisher per group, 200 client-published group messages a second in all;
 * - 5 REST broadcasts a second;
 * - churn: 10 reliable clients a second connect and 10 older ones drop without a close (their
 *   sessions wait out the 30 s resume window, then end).
 * A slope over the second half (after warm-up) says whether anything grows.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { payloadOf, publishFrame, receiverRequest, sendRequest } from './lib/contestants.ts';
import { lineChart, slope, type Series } from './lib/line-chart.ts';
import { WorkerPool } from './lib/pool.ts';
import { sleep } from './lib/proc.ts';
import { HttpClient } from './lib/rawhttp.ts';
import { prepareLapis, startContestant } from './lib/servers.ts';
import { StormClient } from './lib/storm-client.ts';
import { Publishers } from './workloads.ts';
import { freshSourceAddresses } from './lib/local-address.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const WORKERS = 4;
const GROUP_RATE = 200;
const CHURN_PER_S = 10;

const METRICS = {
  rss: 'process_resident_memory_bytes',
  heap: 'nodejs_heap_size_used_bytes',
  /** The V8 heap's committed size (what RSS holds for the heap, garbage included). */
  heapTotal: 'nodejs_heap_size_total_bytes',
  /** Memory outside the V8 heap that JS objects hold (Buffers). */
  external: 'nodejs_external_memory_bytes',
  handles: 'nodejs_active_handles_total',
  connections: 'lapis_connections',
} as const;

/** Sums each wanted metric's samples (all label sets) in a Prometheus text exposition. */
function readMetrics(text: string): Record<keyof typeof METRICS, number> {
  const out = { rss: 0, heap: 0, heapTotal: 0, external: 0, handles: 0, connections: 0 };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    for (const [k, name] of Object.entries(METRICS) as [keyof typeof METRICS, string][]) {
      if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) out[k] += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return out;
}

export async function runSoak(o: { minutes: number; conns: number; serverCore: number; loadCore: number; log: (s: string) => void }): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'lapis-soak-'));
  // A heap snapshot can be taken at any time (`kill -USR2 <pid>`) when a curve climbs: two of them
  // a few minutes apart, compared by constructor, say what accumulates.
  const heapDir = join(tmpdir(), 'lapis-soak-heap');
  mkdirSync(heapDir, { recursive: true });
  const srv = await startContestant('lapis-json', o.serverCore, await prepareLapis(work, ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapDir}`]));
  o.log(`[soak] Lapis pid ${srv.pid}; \`kill -USR2 ${srv.pid}\` writes a heap snapshot into ${heapDir}`);
  const ep = srv.ep;
  const metricsUrl = `${srv.ready!.httpUrl}/metrics`;
  const pool = new WorkerPool(WORKERS, o.loadCore);
  const http = new HttpClient(ep.port, 2, undefined, true);
  const timers: NodeJS.Timeout[] = [];
  const churn: StormClient[] = [];
  let publishers: Publishers | undefined;
  try {
    const per = Math.ceil(o.conns / WORKERS);
    const sources = freshSourceAddresses();
    await Promise.all(pool.workers.map((w, i) => w.call('connect', {
      ep, from: i * per, to: Math.min(o.conns, (i + 1) * per), groupSize: 10, concurrency: 64, localAddress: sources.of(i), timeoutMs: 30_000,
    })));
    const groups = Array.from({ length: Math.ceil(o.conns / 10) }, (_, g) => `s${g}`);
    publishers = await Publishers.open(ep, groups);
    const frames = groups.map((g) => publishFrame(ep.kind, g, payloadOf(256)));
    let k = 0;
    let sent = 0;
    timers.push(setInterval(() => {
      for (let i = 0; i < GROUP_RATE / 10; i++, k = (k + 1) % groups.length) {
        publishers!.conns[k]!.send(frames[k]!);
        sent++;
      }
    }, 100));
    const broadcast = sendRequest(ep, { scope: 'all' }, Buffer.from(payloadOf(256)));
    let restErrors = 0;
    timers.push(setInterval(() => http.request(broadcast, (status) => { if (status !== 202) restErrors++; }), 200));
    let next = o.conns;
    let churnErrors = 0;
    const churnFirstErrors: string[] = [];
    timers.push(setInterval(() => {
      for (let i = 0; i < CHURN_PER_S; i++) {
        const c = new StormClient('lapis-reliable', `ws://127.0.0.1:${ep.port}${receiverRequest(ep, next++, 10).path}`, '127.0.0.30');
        c.connect(15_000).then(() => churn.push(c), (err: Error) => {
          churnErrors++;
          if (churnFirstErrors.length < 5) churnFirstErrors.push(`${new Date().toISOString()}: ${err.message}`);
        });
      }
      for (const c of churn.splice(0, Math.max(0, churn.length - 5 * CHURN_PER_S))) c.drop();
    }, 1000));

    const sampleMs = o.minutes <= 3 ? 2000 : 30_000;
    const t0 = performance.now();
    const rows: { t: number; rss: number; heap: number; heapTotal: number; external: number; handles: number; connections: number; delivered: number }[] = [];
    o.log(`[soak] ${o.conns} receivers, ${GROUP_RATE} group messages/s, 5 REST broadcasts/s, ${CHURN_PER_S} reliable connects and drops/s, for ${o.minutes} min; a sample every ${sampleMs / 1000} s`);
    while (performance.now() - t0 < o.minutes * 60_000) {
      await sleep(sampleMs);
      const m = readMetrics(await (await fetch(metricsUrl)).text());
      const st = await pool.stats();
      rows.push({ t: (performance.now() - t0) / 1000, rss: m.rss / 2 ** 20, heap: m.heap / 2 ** 20, heapTotal: m.heapTotal / 2 ** 20, external: m.external / 2 ** 20, handles: m.handles, connections: m.connections, delivered: st.frames });
      const r = rows[rows.length - 1]!;
      o.log(`[soak] ${r.t.toFixed(0)} s: RSS ${r.rss.toFixed(0)} MiB, heap ${r.heap.toFixed(0)} of ${r.heapTotal.toFixed(0)} MiB, external ${r.external.toFixed(0)} MiB, handles ${r.handles}, connections ${r.connections}, delivered ${r.delivered}`);
    }
    const half = rows.slice(Math.floor(rows.length / 2));
    const perHour = (f: (r: (typeof rows)[number]) => number) => slope(half.map((r) => [r.t, f(r)])) * 3600;
    const series: Series[] = [
      { label: 'RSS', unit: 'MiB', points: rows.map((r) => [r.t, r.rss]) },
      { label: 'heap used', unit: 'MiB', points: rows.map((r) => [r.t, r.heap]) },
      { label: 'heap committed (V8 heap total)', unit: 'MiB', points: rows.map((r) => [r.t, r.heapTotal]) },
      { label: 'external (Buffers)', unit: 'MiB', points: rows.map((r) => [r.t, r.external]) },
      { label: 'active handles', unit: 'count', points: rows.map((r) => [r.t, r.handles]) },
      { label: 'connections', unit: 'count', points: rows.map((r) => [r.t, r.connections]) },
    ];
    const summary = {
      at: new Date().toISOString(), minutes: o.minutes, receivers: o.conns, groupMessagesSent: sent, restErrors, churnErrors, churnFirstErrors,
      slopeSecondHalfPerHour: { rssMiB: perHour((r) => r.rss), heapMiB: perHour((r) => r.heap), heapTotalMiB: perHour((r) => r.heapTotal), externalMiB: perHour((r) => r.external), handles: perHour((r) => r.handles), connections: perHour((r) => r.connections) },
      rows,
    };
    const name = o.minutes >= 30 ? 'soak' : 'soak-short';
    writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(summary, null, 2)}\n`);
    writeFileSync(join(RESULTS, `${name}.svg`), lineChart(`Lapis soak: ${o.conns} receivers, mixed load, ${o.minutes} min`, series));
    const s = summary.slopeSecondHalfPerHour;
    process.stdout.write(`soak (${o.minutes} min): second-half slopes per hour: RSS ${s.rssMiB.toFixed(1)} MiB, heap ${s.heapMiB.toFixed(1)} MiB, ` +
      `handles ${s.handles.toFixed(0)}, connections ${s.connections.toFixed(0)}; REST errors ${restErrors}, churn connect errors ${churnErrors}\n` +
      `wrote bench/results/${name}.json and ${name}.svg\n`);
  } finally {
    for (const t of timers) clearInterval(t);
    for (const c of churn) c.close();
    publishers?.close();
    http.close();
    await pool.all('closeAll').catch(() => {});
    await pool.close();
    await srv.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
