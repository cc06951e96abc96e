/**
 * `npm run bench -- --cluster` — issue 13's benchmark: two Lapis nodes (PostgreSQL store, Redis
 * backplane) against one Lapis node, and against two Socket.IO processes joined by
 * `@socket.io/redis-adapter` on the same Redis, in alternating rounds of one run.
 *
 * Per session (one contestant, one round): start it (node A on core 0, node B on core 1), connect
 * `conns` receivers spread evenly (load-generator workers 0–1 on node A, 2–3 on node B), then
 * - broadcast: server-side sends to everyone through node A, 100 B and 2 KB, deliveries/s counted
 *   at the receivers (closed loop, warm-up before the window);
 * - latency: one publisher per group of 10 on node A, 2 KB at 1 msg/s each; the groups of node B's
 *   receivers are the cross-node samples, node A's the same-node ones.
 * The load generators float over both cores for every contestant (see `place`).
 *
 *   npm run bench -- --cluster [--quick] [--conns N] [--rounds N] [--profile] [--no-latency] [--cluster-kinds lapis-2,…]
 * Writes bench/results/issue-13/{quick,full}.json and prints the table and the targets.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { payloadOf, sendRequest } from './lib/contestants.ts';
import { broadcastFlow, crossNodeLatency, pinList } from './lib/cluster-flow.ts';
import type { ClusterFlowResult, ClusterLatencyResult } from './lib/cluster-flow.ts';
import { CLUSTER_KINDS, clusterUnavailable, NODE_CORES, prepareCluster, redisPid, startCluster } from './lib/cluster-servers.ts';
import type { ClusterKind } from './lib/cluster-servers.ts';
import { WorkerPool } from './lib/pool.ts';
import { hardFdLimit, sleep } from './lib/proc.ts';
import { prepareLapis } from './lib/servers.ts';
import { clusterTable, clusterTargets } from './cluster-report.ts';
import type { ClusterResults } from './cluster-report.ts';
import { LOAD_CORE, Publishers } from './workloads.ts';
import type { Timing } from './workloads.ts';
import { freshSourceAddresses } from './lib/local-address.ts';

const RESULTS = fileURLToPath(new URL('./results/issue-13/', import.meta.url));
const GROUP_SIZE = 10;
const WORKERS = 4;

export interface ClusterOptions {
  quick: boolean;
  rounds?: number | undefined;
  conns?: number | undefined;
  profile: boolean;
  latency: boolean;
  /** Contestants (default all); checked against CLUSTER_KINDS. */
  kinds?: string[] | undefined;
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const fmt = (x: number) => (x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const uptime = () => loadavg().map((x) => x.toFixed(2)).join(', ');
/** The commit measured (with `+dirty` when the working tree differs), or 'unknown' outside a git checkout. */
function gitCommit(): string {
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['--no-optional-locks', 'status', '--porcelain', '--untracked-files=no', '--', 'src', 'bin', 'bench'], { cwd, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? '+dirty' : ''}`;
}

export async function runCluster(o: ClusterOptions): Promise<void> {
  const P = {
    conns: o.conns ?? (o.quick ? 1000 : 10_000),
    sizes: [100, 2048],
    rounds: o.rounds ?? (o.quick ? 2 : 3),
    timing: (o.quick ? { warmMs: 300, measureMs: 600, drainMs: 3000 } : { warmMs: 800, measureMs: 2000, drainMs: 8000 }) as Timing,
    settleMs: o.quick ? 500 : 1500,
    latencyWarmMs: o.quick ? 1000 : 2000,
    latencyMs: o.quick ? 2000 : 5000,
    kinds: (o.kinds ?? [...CLUSTER_KINDS]) as ClusterKind[],
  };
  for (const k of P.kinds) {
    if (!CLUSTER_KINDS.includes(k)) {
      log(`bench --cluster: unknown contestant ${k}; known: ${CLUSTER_KINDS.join(', ')}`);
      process.exit(2);
    }
  }
  const why = await clusterUnavailable();
  if (why) {
    log(`bench --cluster: ${why}`);
    process.exit(2);
  }
  // Node A holds half the receivers plus every publisher; a single node holds them all.
  const need = P.conns + P.conns / GROUP_SIZE + 64;
  if (hardFdLimit < need) {
    log(`bench --cluster: the fd hard limit is ${hardFdLimit}; a single node needs about ${need}. Raise it or pass --conns.`);
    process.exit(2);
  }
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'lapis-bench-cluster-'));
  // Profiles are large: kept where git ignores them (bench/results/tmp/).
  const profileDir = fileURLToPath(new URL('./results/tmp/issue-13-profiles/', import.meta.url));
  if (o.profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const single = await prepareLapis(join(work, 'single'), o.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  const setup = prepareCluster(work, single);
  const rpid = await redisPid();
  const res: ClusterResults = {
    meta: {
      when: new Date().toISOString(),
      mode: o.quick ? 'quick' : 'full',
      node: process.version,
      cpus: cpus()[0]?.model,
      cpuCount: cpus().length,
      conns: P.conns,
      sizes: P.sizes,
      rounds: P.rounds,
      timing: P.timing,
      groupSize: GROUP_SIZE,
      loadWorkers: WORKERS,
      nodeCores: [...NODE_CORES],
      loadCores: 'floating over both cores',
      redisCpuMeasured: rpid !== undefined,
      loadAverageAtStart: uptime(),
      commit: gitCommit(),
      kinds: P.kinds,
    },
    broadcast: [],
    latency: [],
    sessions: [],
    notes: [],
  };
  const pool = new WorkerPool(WORKERS, LOAD_CORE); // re-placed per session (place())
  let failure: unknown;
  try {
    for (let round = 0; round < P.rounds; round++) {
      // Alternate the order from round to round so drift (other load on the machine) spreads evenly.
      const order = round % 2 === 0 ? [...P.kinds] : [...P.kinds].reverse();
      for (const kind of order) {
        try {
          await session(kind, round);
        } catch (err) {
          res.notes.push(`${kind} round ${round + 1} failed: ${(err as Error).message}`);
          log(`  FAILED: ${(err as Error).message}`);
        }
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    await pool.close();
    rmSync(work, { recursive: true, force: true });
  }
  res.meta.loadAverageAtEnd = uptime();
  res.meta.durationS = Math.round((Date.now() - started) / 1000);
  if (o.profile) res.meta.profiles = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
  const tbl = clusterTable(res);
  const tl = clusterTargets(res);
  mkdirSync(RESULTS, { recursive: true });
  // A subset of contestants or a profiled run is written beside, not over, the full comparison.
  const subset = P.kinds.length < CLUSTER_KINDS.length ? `-${P.kinds.join('+')}` : '';
  const file = join(RESULTS, `${o.quick ? 'quick' : 'full'}${subset}${o.profile ? '-profiled' : ''}.json`);
  writeFileSync(file, `${JSON.stringify({ ...res, table: tbl.split('\n'), targets: tl }, null, 1)}\n`);
  process.stdout.write(`\n${tbl}\n\nTargets (issue 13):\n`);
  for (const t of tl) process.stdout.write(`${t.ok === null ? 'N/A ' : t.ok ? 'PASS' : 'FAIL'}  ${t.text}\n`);
  if (res.notes.length) process.stdout.write(`\nNotes:\n${res.notes.map((n) => `- ${n}`).join('\n')}\n`);
  process.stdout.write(`\nWrote ${file} (${res.meta.durationS} s). Load average at start ${res.meta.loadAverageAtStart}, at end ${res.meta.loadAverageAtEnd}.\n`);
  if (failure) throw failure;

  /**
   * The generators (and this process, which holds the publishers) float over both cores for every
   * contestant: two server processes need both cores, and pinning the generators to core 1 for the
   * single node only would push everything else running on the machine onto that node's core.
   */
  function place(): void {
    const cores = NODE_CORES.join(',');
    for (const w of pool.workers) pinList(w.child.pid!, cores);
    pinList(process.pid, cores);
  }

  async function session(kind: ClusterKind, round: number): Promise<void> {
    const n = P.conns;
    const load = uptime();
    log(`[round ${round + 1}] ${kind} with ${n} receivers (load average ${load})`);
    const c = await startCluster(kind, setup);
    let pubs: Publishers | undefined;
    try {
      place();
      await sleep(300);
      const per = Math.ceil(n / WORKERS);
      // Workers 0..W/2-1 on node A, the others on node B (all on the one node of a single process).
      const epOf = (w: number) => c.eps[Math.min(c.eps.length - 1, Math.floor((w * c.eps.length) / WORKERS))]!;
      const t0 = performance.now();
      const sources = freshSourceAddresses();
      const replies = await Promise.all(pool.workers.map((w, i) => w.call('connect', {
        ep: epOf(i), from: i * per, to: Math.min(n, (i + 1) * per), groupSize: GROUP_SIZE, concurrency: 64, localAddress: sources.of(i), timeoutMs: 30_000,
      })));
      const failed = replies.reduce((a, r) => a + (r.failed as number), 0);
      if (failed > 0) throw new Error(`${failed} of ${n} receiver connections failed: ${replies.flatMap((r) => r.errors as string[]).slice(0, 2).join(' / ')}`);
      const setupMs = performance.now() - t0;
      log(`  ${n} receivers connected in ${(setupMs / 1000).toFixed(1)} s`);
      res.sessions.push({ kind, round, loadAverage: load, setupPerS: n / (setupMs / 1000) });
      await sleep(P.settleMs);
      for (const size of P.sizes) {
        const r = await broadcastFlow({
          pool, serverPids: c.pids, redisPid: c.pids.length > 1 ? rpid : undefined, ep: c.eps[0]!,
          request: sendRequest(c.eps[0]!, { scope: 'all' }, Buffer.from(payloadOf(size))),
          fanout: n, window: Math.max(3 * n, 16_000), maxInFlight: 64, timing: P.timing, cores: [...NODE_CORES],
          workerNode: pool.workers.map((_, w) => c.eps.indexOf(epOf(w))),
        });
        res.broadcast.push({ kind, round, conns: n, size, r });
        logFlow(kind, round, size, r);
      }
      if (o.latency) {
        const groups = Array.from({ length: Math.floor(n / GROUP_SIZE) }, (_, g) => `s${g}`);
        pubs = await Publishers.open(c.eps[0]!, groups);
        const crossWorkers = new Set(pool.workers.map((_, w) => w).filter((w) => epOf(w) !== c.eps[0]));
        const r = await crossNodeLatency({ pool, serverPids: c.pids, redisPid: c.pids.length > 1 ? rpid : undefined, ep: c.eps[0]!, publishers: pubs, groups, groupSize: GROUP_SIZE, warmMs: P.latencyWarmMs, measureMs: P.latencyMs, crossWorkers });
        res.latency.push({ kind, round, conns: n, r });
        logLatency(kind, round, r);
      }
    } finally {
      pubs?.close();
      await pool.all('closeAll').catch(() => {});
      await c.stop();
    }
  }

  function logFlow(kind: ClusterKind, round: number, size: number, r: ClusterFlowResult): void {
    const tag = `${kind} round ${round + 1} broadcast ${size} B`;
    if (r.lost !== 0) res.notes.push(`${tag}: ${r.lost} of ${r.expected} deliveries not received after the drain`);
    if (r.errors > 0) res.notes.push(`${tag}: ${r.errors} send(s) refused: ${r.firstError}`);
    if (r.unexpectedCloses > 0) res.notes.push(`${tag}: the server closed ${r.unexpectedCloses} receiver connection(s)`);
    log(`  broadcast ${String(size).padStart(4)} B ${fmt(r.rate).padStart(7)} deliveries/s  servers ${r.perNodeCpu.map((x) => `${(x * 100).toFixed(0)}%`).join('+')}` +
      `${r.redisCpu !== null ? `  redis ${(r.redisCpu * 100).toFixed(0)}%` : ''}  generators ${(r.genCpu * 100).toFixed(0)}%  machine ${(r.machineBusy * 100).toFixed(0)}% busy  frames/read ${r.framesPerRead.map((x) => x.toFixed(2)).join('+')}` +
      `${r.lost ? `  LOST ${r.lost}` : ''}${r.errors ? `  ERR ${r.firstError}` : ''}${r.unexpectedCloses ? `  CLOSED ${r.unexpectedCloses}` : ''}`);
  }

  function logLatency(kind: ClusterKind, round: number, r: ClusterLatencyResult): void {
    if (r.received < r.expected) res.notes.push(`latency ${kind} round ${round + 1}: received ${r.received} of about ${r.expected} expected deliveries`);
    const f = (s: { p50Ms: number; p99Ms: number; maxMs: number; samples: number }) => `p50 ${s.p50Ms.toFixed(2)} ms  p99 ${s.p99Ms.toFixed(2)} ms  max ${s.maxMs.toFixed(1)} ms (${s.samples})`;
    log(`  latency ${r.cross ? `cross-node ${f(r.cross)} | ` : ''}same-node ${f(r.same)}  received ${r.received}/${r.expected}  servers ${(r.serverCpu * 100).toFixed(0)}%` +
      `  run-queue wait: servers ${r.serverRunQueue.waitMsPerS.toFixed(0)} ms/s (${r.serverRunQueue.meanWaitMs.toFixed(2)} ms each), receivers ${r.receiverRunQueue.waitMsPerS.toFixed(0)} ms/s (${r.receiverRunQueue.meanWaitMs.toFixed(2)} ms each)` +
      `${r.redisRunQueue ? `, redis ${r.redisRunQueue.waitMsPerS.toFixed(0)} ms/s (${r.redisRunQueue.meanWaitMs.toFixed(2)} ms each)` : ''}`);
  }
}
