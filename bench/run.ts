/**
 * `npm run bench` — issue 7's benchmark. Starts every contestant itself (pinned to core 0), drives
 * the same workloads at each from raw-TCP load generators (pinned to core 1), in alternating
 * rounds, and writes the ratio table (stdout), bench/results/latest.json and latest.svg.
 *
 *   npm run bench                 full run (≈ 12 minutes on 2 vCPU)
 *   npm run bench -- --quick      smoke run (< 3 minutes)
 *   options: --rounds N  --conns 2000,15000  --kinds ws-naive,lapis-json,signalr-json  --profile (Lapis --cpu-prof)
 *            --no-latency  --no-identity
 *   --default-mode (or --only default-mode): issue 12's default-mode row alone (→ results/default-mode.json);
 *   the full run includes it unless --no-default-mode (or an --only list without default-mode)
 *   --no-upstream: skip issue 16's upstream row;  the crypto baselines (HS256 check, RS256 signing) always run
 *   --upstream: issue 16's upstream row alone (--quick, --rounds N, --profile apply) → results/upstream.json
 *   (or --out FILE), in the shape of latest.json, so `bench/compare.ts` compares two of them
 *   --soak [--soak-minutes 30]: issue 16's soak (bench/soak.ts; --conns N receivers, default 2000); not in the default run
 *   --storm: issue 16's reconnect storm alone (bench/storm.ts; --quick, --conns N apply)
 *   --cluster: issue 13's cluster run alone (bench/cluster.ts; --quick, --rounds, --conns N, --profile, --no-latency apply; --cluster-kinds lapis-1,lapis-2,socketio-2)
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isAnyLapis, isLapis, isSignalR, KINDS, sendRequest, payloadOf } from './lib/contestants.ts';
import type { Kind, SendTarget } from './lib/contestants.ts';
import { WorkerPool } from './lib/pool.ts';
import { cpuSeconds, hardFdLimit, hasTaskset, pin, rssBytes, sleep } from './lib/proc.ts';
import { prepareLapis, startContestant } from './lib/servers.ts';
import { cryptoRate } from './lib/crypto-baseline.ts';
import { runUpstream } from './upstream-workload.ts';
import type { LapisSetup, Running } from './lib/servers.ts';
import { defaultModeAlone, defaultModeParams, runDefaultMode } from './default-mode.ts';
import type { DefaultModeResults } from './default-mode.ts';
import { BASELINE, median, table, targets } from './report.ts';
import { svg } from './report-chart.ts';
import { issue16Rows, issue16Targets } from './report-issue16.ts';
import { defaultModeTable, defaultModeTargets } from './report-default-mode.ts';
import type { CellResult, Results } from './report.ts';
import { identityRate, latencyRun, LOAD_CORE, publishFlow, Publishers, rbacRate, restFlow, signalrJoinGroup, unicastRequests } from './workloads.ts';
import type { FlowResult, Timing } from './workloads.ts';
import { freshSourceAddresses } from './lib/local-address.ts';

const SERVER_CORE = 0;
/**
 * Contestants measured at the first (smaller) connection count only, to keep the full run under
 * 15 minutes: setting up 15,000 SignalR connections (negotiate + connect) takes 20–30 s a round.
 * (`--conns 15000 --kinds lapis-json,signalr-json` measures them at 15,000.)
 */
const SMALL_COUNT_ONLY: ReadonlySet<Kind> = new Set(['signalr-json', 'signalr-msgpack', 'signalr-sse', 'lapis-reliable']);
const GROUP_SIZE = 10;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

const { values: argv } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    conns: { type: 'string' },
    kinds: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-latency': { type: 'boolean', default: false },
    'no-identity': { type: 'boolean', default: false },
    'no-upstream': { type: 'boolean', default: false },
    upstream: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    'default-mode': { type: 'boolean', default: false },
    'no-default-mode': { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    storm: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    'soak-minutes': { type: 'string' },
    'cluster-kinds': { type: 'string' },
  },
});

const quick = argv.quick!;
const P = {
  conns: argv.conns ? argv.conns.split(',').map(Number) : quick ? [1000] : [2000, 15000],
  sizes: [100, 2048],
  rounds: argv.rounds ? Number(argv.rounds) : quick ? 2 : 3,
  /** Rounds at ≥ 10,000 connections (setting them up dominates the run time). */
  bigRounds: argv.rounds ? Number(argv.rounds) : 2,
  timing: (quick ? { warmMs: 200, measureMs: 400, drainMs: 3000 } : { warmMs: 400, measureMs: 1200, drainMs: 8000 }) as Timing,
  settleMs: quick ? 300 : 1000,
  workers: 4,
  latencyConns: quick ? 1000 : 10_000,
  latencyWarmMs: quick ? 300 : 2000,
  latencyMs: quick ? 1000 : 5000,
  identityMs: quick ? 500 : 2000,
  /** Issue 16: the crypto baselines' measuring time, and the upstream row's rounds and windows. */
  cryptoMs: quick ? 600 : 1000,
  upstream: { rounds: quick ? 2 : 3, warmMs: quick ? 300 : 500, measureMs: quick ? 800 : 2000, lanes: 64, messages: 8 },
  // The quick run (a smoke run, < 2 minutes) leaves out two SignalR transports unless named.
  kinds: (argv.kinds ? argv.kinds.split(',') : KINDS.filter((k) => !quick || (k !== 'signalr-msgpack' && k !== 'signalr-sse'))) as Kind[],
};
for (const k of P.kinds) if (!KINDS.includes(k)) throw new Error(`unknown contestant ${k}; known: ${KINDS.join(', ')}`);
if (!P.kinds.includes(BASELINE)) P.kinds.unshift(BASELINE);
/** --only rest-broadcast,unicast-user: run just these throughput workloads (e.g. to profile one). */
const only = argv.only ? new Set(argv.only.split(',')) : undefined;
const want = (w: CellResult['workload']) => !only || only.has(w);
/** Issue 12's default-mode row (ASP.NET Core app through Lapis vs self-hosted Kestrel). */
const defaultModeOnly = argv['default-mode']! || (only?.size === 1 && only.has('default-mode'));
const withDefaultMode = defaultModeOnly || (!argv['no-default-mode'] && (!only || only.has('default-mode')));
const smallConns = P.conns[0]!; // small groups and unicast run at the first (smaller) size
const memoryConns = Math.max(...P.conns);

const log = (s: string) => process.stderr.write(`${s}\n`);
const fmt = (x: number) => (x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));

pin(process.pid, LOAD_CORE);
if (argv.cluster) {
  const { runCluster } = await import('./cluster.ts');
  await runCluster({ quick, rounds: argv.rounds ? Number(argv.rounds) : undefined, conns: argv.conns ? Number(argv.conns.split(',')[0]) : undefined, profile: argv.profile!, latency: !argv['no-latency'], kinds: argv['cluster-kinds']?.split(',') });
  process.exit(0);
}
if (argv.soak) {
  const { runSoak } = await import('./soak.ts');
  await runSoak({ minutes: Number(argv['soak-minutes'] ?? (quick ? 1 : 30)), conns: argv.conns ? Number(argv.conns.split(',')[0]) : 2000, serverCore: SERVER_CORE, loadCore: LOAD_CORE, log });
  process.exit(0);
}
if (argv.storm) {
  const { runStorm } = await import('./storm.ts');
  await runStorm({ quick, conns: argv.conns ? Number(argv.conns.split(',')[0]) : undefined, serverCore: SERVER_CORE, loadCore: LOAD_CORE, log });
  process.exit(0);
}
if (argv.upstream) {
  // The upstream row alone: no receivers, no crypto baselines, Lapis started by the row itself.
  const work = mkdtempSync(join(tmpdir(), 'lapis-bench-'));
  const profileDir = join(RESULTS, 'profiles');
  if (argv.profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const started = Date.now();
  try {
    log('[upstream] event-handler round trips: Lapis vs a bare fetch client driving the same handler');
    const upstream = await runUpstream({
      workDir: work, serverCore: SERVER_CORE, loadCore: LOAD_CORE, log,
      nodeFlags: argv.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      ...P.upstream, rounds: argv.rounds ? Number(argv.rounds) : P.upstream.rounds,
    });
    const r = upstream.rounds;
    const perCpu = median(r.map((x) => x.lapis / Math.max(x.lapisServerCpu, 0.05)));
    log(`  median: Lapis ${median(r.map((x) => x.lapis)).toFixed(0)}/s, ${perCpu.toFixed(0)} round trips per server CPU-second, bare ${median(r.map((x) => x.bare)).toFixed(0)}/s, ratio ${median(r.map((x) => x.lapis / x.bare)).toFixed(2)}×`);
    const out = argv.out ?? join(RESULTS, 'upstream.json');
    writeFileSync(out, `${JSON.stringify({ meta: { durationS: Math.round((Date.now() - started) / 1000), partial: true }, cells: [], notes: upstream.notes, upstream }, null, 1)}\n`);
    log(`Wrote ${out}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}
if (defaultModeOnly) {
  const work = mkdtempSync(join(tmpdir(), 'lapis-bench-'));
  const profileDir = join(RESULTS, 'profiles');
  if (argv.profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  try {
    await defaultModeAlone({ workDir: work, params: defaultModeParams(quick, argv.rounds ? Number(argv.rounds) : undefined), serverCore: SERVER_CORE, loadCore: LOAD_CORE, nodeFlags: argv.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [], resultsDir: RESULTS });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}
const need = memoryConns + 64;
if (hardFdLimit < need / P.workers || hardFdLimit < need) {
  log(`bench: the fd hard limit is ${hardFdLimit}; the server needs about ${need}. Raise it (ulimit -Hn / limits.conf) or pass --conns.`);
  process.exit(2);
}

const res: Results = {
  meta: {
    when: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    node: process.version,
    cpus: cpus().map((c) => c.model)[0],
    cpuCount: cpus().length,
    taskset: hasTaskset,
    serverCore: SERVER_CORE,
    loadCore: LOAD_CORE,
    loadWorkers: P.workers,
    rounds: P.rounds,
    roundsAtLargeCounts: Math.min(P.rounds, P.bigRounds),
    timing: P.timing,
    groupSize: GROUP_SIZE,
    memoryConns,
    latencyConns: P.latencyConns,
    kinds: P.kinds,
  },
  cells: [],
  memory: {},
  setup: {},
  latency: {},
  notes: [],
};

function cell(workload: CellResult['workload'], conns: number, size: number, fanout: number): CellResult {
  const id = `${workload}/${conns}/${size}`;
  let c = res.cells.find((x) => x.id === id);
  if (!c) res.cells.push((c = { id, workload, conns, size, fanout, rounds: {} }));
  return c;
}

function record(c: CellResult, kind: Kind, round: number, r: FlowResult | null, why?: string): void {
  const list = (c.rounds[kind] ??= []);
  list[round] = r;
  const tag = `${kind} ${c.id} round ${round + 1}`;
  if (!r) {
    if (why) res.notes.push(`${tag}: ${why}`);
    log(`  ${c.id.padEnd(28)} n/a${why ? ` (${why})` : ''}`);
    return;
  }
  if (r.lost !== 0) res.notes.push(`${tag}: ${r.lost} of ${r.expected} deliveries not received after the drain`);
  if (r.errors > 0) res.notes.push(`${tag}: ${r.errors} publish(es) refused: ${r.firstError}`);
  if (r.unexpectedCloses > 0) res.notes.push(`${tag}: the server closed ${r.unexpectedCloses} receiver connection(s)`);
  log(`  ${c.id.padEnd(28)} ${fmt(r.rate).padStart(7)} deliveries/s  server ${(r.serverCpu * 100).toFixed(0)}% generators ${(r.genCpu * 100).toFixed(0)}% (core ${(r.loadCpu * 100).toFixed(0)}%)  ${r.frameLen[0]}–${r.frameLen[1]} B frames, ${r.framesPerRead.toFixed(1)}/read` +
    `${r.lost ? `  LOST ${r.lost}` : ''}${r.errors ? `  ERR ${r.firstError}` : ''}${r.unexpectedCloses ? `  CLOSED ${r.unexpectedCloses}` : ''}`);
}

async function connectReceivers(pool: WorkerPool, srv: Running, n: number): Promise<{ ms: number; ids: Map<number, string> }> {
  const per = Math.ceil(n / P.workers);
  const sources = freshSourceAddresses();
  const replies = await Promise.all(pool.workers.map((w, i) => w.call('connect', {
    ep: srv.ep,
    from: i * per,
    to: Math.min(n, (i + 1) * per),
    groupSize: GROUP_SIZE,
    concurrency: 64,
    localAddress: sources.of(i),
    timeoutMs: 30_000,
  })));
  const failed = replies.reduce((a, r) => a + (r.failed as number), 0);
  if (failed > 0) {
    const errors = replies.flatMap((r) => r.errors as string[]);
    throw new Error(`${failed} of ${n} receiver connections failed: ${errors.slice(0, 2).join(' / ')}`);
  }
  const ids = new Map<number, string>();
  for (const r of replies) for (const [i, id] of r.ids as [number, string][]) ids.set(i, id);
  return { ms: Math.max(...replies.map((r) => r.ms as number)), ids };
}

async function session(pool: WorkerPool, lapis: LapisSetup, kind: Kind, n: number, round: number): Promise<void> {
  log(`[round ${round + 1}] ${kind} with ${n} connections`);
  const srv = await startContestant(kind, SERVER_CORE, lapis);
  let pubs: Publishers | undefined;
  try {
    await sleep(300);
    const rss0 = rssBytes(srv.pid);
    const cpu0 = cpuSeconds(srv.pid);
    const { ms, ids } = await connectReceivers(pool, srv, n);
    const setupCpuUs = ((cpuSeconds(srv.pid) - cpu0) / n) * 1e6;
    // Serverless SignalR clients cannot join groups: the app server adds them (REST, not timed as setup).
    if (isSignalR(kind)) await signalrJoinGroup(srv.ep, [...ids.values()], 'all');
    await sleep(P.settleMs);
    const rss1 = rssBytes(srv.pid);
    const setupRate = n / (ms / 1000);
    log(`  setup ${fmt(setupRate)}/s (server ${setupCpuUs.toFixed(0)} µs CPU/conn), idle RSS +${((rss1 - rss0) / n / 1024).toFixed(1)} KiB/conn`);
    if (n === memoryConns) {
      ((res.memory[kind] ??= [])[round]) = (rss1 - rss0) / n;
      ((res.setup[kind] ??= [])[round]) = setupRate;
      (((res.setupCpuUs ??= {})[kind] ??= [])[round]) = setupCpuUs;
    }
    const broadcastWindow = Math.max(3 * n, 16_000);
    // Server-side broadcast first, while only receivers are connected (a hub-wide send would also reach publishers).
    for (const size of want('rest-broadcast') ? P.sizes : []) {
      const r = await restFlow({ pool, pid: srv.pid, ep: srv.ep, requests: [sendRequest(srv.ep, { scope: 'all' }, Buffer.from(payloadOf(size)))], fanout: n, window: broadcastWindow, maxInFlight: 64, timing: P.timing });
      record(cell('rest-broadcast', n, size, n), kind, round, r);
    }
    // Server-side send to the group every receiver is in (the group fan-out SignalR serverless has).
    if (want('rest-group') && n === smallConns && kind !== 'lapis-reliable') {
      const r = await restFlow({ pool, pid: srv.pid, ep: srv.ep, requests: [sendRequest(srv.ep, { scope: 'group', group: 'all' }, Buffer.from(payloadOf(100)))], fanout: n, window: broadcastWindow, maxInFlight: 64, timing: P.timing });
      record(cell('rest-group', n, 100, n), kind, round, r);
    }
    if (isSignalR(kind)) {
      // Serverless clients' messages go upstream, so there is no client publish; unicast (REST) for JSON only, to keep the run short.
      if (kind === 'signalr-json' && n === smallConns) await unicastCells(pool, srv, kind, n, round, ids);
      return;
    }
    // The reliable contestant is measured on the broadcast rows (issue 16's reliable ≥ 0.8× plain JSON target) to keep the run short.
    const small = n === smallConns && kind !== 'lapis-reliable' ? Array.from({ length: Math.floor(n / GROUP_SIZE) }, (_, g) => `s${g}`) : [];
    pubs = await Publishers.open(srv.ep, ['all', ...small]);
    for (const size of want('group-broadcast') ? P.sizes : []) {
      const r = await publishFlow({ pool, pid: srv.pid, ep: srv.ep, conns: [pubs.conns[0]!], groups: ['all'], size, fanout: n, window: broadcastWindow, timing: P.timing });
      record(cell('group-broadcast', n, size, n), kind, round, r);
    }
    if (small.length > 0) {
      const fullGroups = small.filter((_, g) => (g + 1) * GROUP_SIZE <= n);
      if (want('small-group')) {
        const r = await publishFlow({ pool, pid: srv.pid, ep: srv.ep, conns: pubs.conns.slice(1, 1 + fullGroups.length), groups: fullGroups, size: 100, fanout: GROUP_SIZE, window: 16_000, timing: P.timing });
        record(cell('small-group', n, 100, GROUP_SIZE), kind, round, r);
      }
      await unicastCells(pool, srv, kind, n, round, ids);
    }
  } finally {
    pubs?.close();
    await pool.all('closeAll').catch(() => {});
    await srv.stop();
  }
}

/** REST sends to one user / one connection at a time, every receiver in turn. */
async function unicastCells(pool: WorkerPool, srv: Running, kind: Kind, n: number, round: number, ids: Map<number, string>): Promise<void> {
  const users: SendTarget[] = Array.from({ length: n }, (_, i) => ({ scope: 'user', user: `u${i}` }));
  if (want('unicast-user')) {
    const ru = await restFlow({ pool, pid: srv.pid, ep: srv.ep, requests: unicastRequests(srv.ep, users, 100), fanout: 1, window: 1024, maxInFlight: 1024, timing: P.timing });
    record(cell('unicast-user', n, 100, 1), kind, round, ru);
  }
  const connTargets: SendTarget[] | undefined = kind === 'lapis-simple' ? undefined
    : Array.from({ length: n }, (_, i) => ({ scope: 'connection', id: isAnyLapis(kind) ? ids.get(i)! : `c${i}` }));
  if (!want('unicast-conn')) {
    // skipped
  } else if (!connTargets) {
    record(cell('unicast-conn', n, 100, 1), kind, round, null, 'plain WebSocket clients are not told their connection id');
  } else {
    const rc = await restFlow({ pool, pid: srv.pid, ep: srv.ep, requests: unicastRequests(srv.ep, connTargets, 100), fanout: 1, window: 1024, maxInFlight: 1024, timing: P.timing });
    record(cell('unicast-conn', n, 100, 1), kind, round, rc);
  }
}

async function latencySession(pool: WorkerPool, lapis: LapisSetup, kind: Kind): Promise<void> {
  const n = P.latencyConns;
  log(`[latency] ${kind} with ${n} receivers in groups of ${GROUP_SIZE}, one 2 KB sender per group at 1 msg/s`);
  const srv = await startContestant(kind, SERVER_CORE, lapis);
  let pubs: Publishers | undefined;
  try {
    await connectReceivers(pool, srv, n);
    const groups = Array.from({ length: Math.floor(n / GROUP_SIZE) }, (_, g) => `s${g}`);
    pubs = await Publishers.open(srv.ep, groups);
    const r = await latencyRun({ pool, pid: srv.pid, ep: srv.ep, publishers: pubs, groups, groupSize: GROUP_SIZE, warmMs: P.latencyWarmMs, measureMs: P.latencyMs });
    res.latency[kind] = r;
    if (r.received < r.expected) res.notes.push(`latency ${kind}: received ${r.received} of about ${r.expected} expected deliveries`);
    log(`  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  max ${r.maxMs.toFixed(1)} ms  samples ${r.samples}  received ${r.received}/${r.expected}  server ${(r.serverCpu * 100).toFixed(0)}%`);
  } finally {
    pubs?.close();
    await pool.all('closeAll').catch(() => {});
    await srv.stop();
  }
}

async function identitySession(lapis: LapisSetup): Promise<void> {
  log('[identity] token endpoint and RBAC-checked REST');
  const srv = await startContestant('lapis-json', SERVER_CORE, lapis);
  try {
    res.identity = [];
    for (let r = 0; r < P.rounds; r++) {
      const x = await identityRate(srv.ready!, P.identityMs, 16, srv.pid);
      res.identity.push(x);
      log(`  identity: ${x.available ? `${fmt(x.rate!)} requests/s (${x.errors} errors)` : x.note}`);
      if (!x.available) break;
    }
    res.rbac = await rbacRate(srv.ready!, lapis.rbacDeclared, lapis.rbacNote, P.identityMs, 16);
    log(`  rbac: ${res.rbac.available ? `${fmt(res.rbac.rate!)} requests/s` : res.rbac.note}`);
  } finally {
    await srv.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'lapis-bench-'));
  const profileDir = join(RESULTS, 'profiles');
  if (argv.profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const lapis = await prepareLapis(work, argv.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  if (!lapis.rbacDeclared) log(`bench: ${lapis.rbacNote}`);
  // Issue 16's crypto baselines, on the server core while nothing else runs there.
  const hs = await cryptoRate('hs256', SERVER_CORE, P.cryptoMs);
  const rs = await cryptoRate('rs256', SERVER_CORE, P.cryptoMs);
  res.crypto = { hs256Verify: hs.rate, rs256Sign: rs.rate, rs256SignPerCpuSecond: rs.perCpuSecond };
  for (const e of [hs.error, rs.error]) if (e) res.notes.push(e);
  log(`[crypto] HS256 client-token check ${fmt(hs.rate)}/s, RS256 sign ${fmt(rs.rate)}/s (server core)`);
  const pool = new WorkerPool(P.workers, LOAD_CORE);
  let failure: unknown;
  let dm: DefaultModeResults | undefined;
  const phases: Record<string, number> = {};
  let phaseStart = started;
  const phase = (name: string) => {
    phases[name] = Math.round((Date.now() - phaseStart) / 1000);
    phaseStart = Date.now();
    log(`  (${name}: ${phases[name]} s)`);
  };
  phase('preparation + crypto baselines');
  try {
    for (const n of P.conns) {
      const rounds = n >= 10_000 ? Math.min(P.rounds, P.bigRounds) : P.rounds;
      for (let round = 0; round < rounds; round++) {
        // Alternate the order from round to round so drift (thermal, other load) spreads evenly.
        const order = round % 2 === 0 ? [...P.kinds] : [...P.kinds].reverse();
        for (const kind of order.filter((k) => n === smallConns || !SMALL_COUNT_ONLY.has(k))) {
          try {
            await session(pool, lapis, kind, n, round);
          } catch (err) {
            res.notes.push(`${kind} ${n} conns round ${round + 1} failed: ${(err as Error).message}`);
            log(`  FAILED: ${(err as Error).message}`);
          }
        }
      }
    }
    phase('throughput rounds');
    if (!argv['no-latency']) {
      // The latency run times client publishes, which serverless SignalR clients do not have.
      // Quick mode: only the pair a target reads (Lapis JSON p99, with the baseline beside it).
      for (const kind of P.kinds.filter((k) => !isSignalR(k) && k !== 'lapis-reliable' && (!quick || k === BASELINE || k === 'lapis-json'))) {
        try {
          await latencySession(pool, lapis, kind);
        } catch (err) {
          res.notes.push(`latency ${kind} failed: ${(err as Error).message}`);
          log(`  FAILED: ${(err as Error).message}`);
        }
      }
    }
    phase('latency');
    if (!argv['no-identity'] && P.kinds.some(isLapis)) await identitySession(lapis);
    phase('identity');
    if (!argv['no-upstream'] && P.kinds.some(isLapis)) {
      log('[upstream] event-handler round trips: Lapis vs a bare fetch client driving the same handler');
      try {
        res.upstream = await runUpstream({ workDir: join(work, 'upstream'), serverCore: SERVER_CORE, loadCore: LOAD_CORE, nodeFlags: lapis.nodeFlags, ...P.upstream, log });
        res.notes.push(...res.upstream.notes);
      } catch (err) {
        res.notes.push(`upstream row failed: ${(err as Error).message}`);
        log(`  FAILED: ${(err as Error).message}`);
      }
    }
    phase('upstream');
    if (withDefaultMode) dm = await runDefaultMode({ workDir: join(work, 'default-mode'), params: defaultModeParams(quick, argv.rounds ? Number(argv.rounds) : undefined), serverCore: SERVER_CORE, loadCore: LOAD_CORE, nodeFlags: lapis.nodeFlags });
    if (withDefaultMode) phase('default mode');
  } catch (err) {
    failure = err;
  } finally {
    await pool.close();
    rmSync(work, { recursive: true, force: true });
  }
  res.meta.phasesS = phases;
  res.meta.durationS = Math.round((Date.now() - started) / 1000);
  res.meta.partial = !!(argv.kinds || argv.only || argv.conns || argv.rounds || argv['no-latency'] || argv['no-identity'] || argv['no-upstream'] || argv['no-default-mode']);
  if (argv.profile) res.meta.profiles = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
  mkdirSync(RESULTS, { recursive: true });
  if (dm) res.notes.push(...dm.notes);
  const main16 = `${table(res, P.kinds)}\n${issue16Rows(res).join('\n')}`;
  const tbl = dm ? `${main16}\n\n${defaultModeTable(dm)}` : main16;
  const tl = [...targets(res), ...issue16Targets(res), ...(dm ? defaultModeTargets(dm) : [])];
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify({ ...res, defaultMode: dm, table: tbl.split('\n'), targets: tl }, null, 1)}\n`);
  writeFileSync(join(RESULTS, 'latest.svg'), svg(res, P.kinds, dm));
  process.stdout.write(`\n${tbl}\n\nTargets (issues 7, 11, 16${dm ? ' and 12' : ''}):\n`);
  for (const t of tl) process.stdout.write(`${t.ok === null ? 'N/A ' : t.ok ? 'PASS' : 'FAIL'}  ${t.text}\n`);
  if (res.notes.length) process.stdout.write(`\nNotes:\n${res.notes.map((n) => `- ${n}`).join('\n')}\n`);
  process.stdout.write(`\nWrote bench/results/latest.json and bench/results/latest.svg (${res.meta.durationS} s). Figures are only meaningful on an otherwise idle machine.\n`);
  if (failure) throw failure;
}

await main();
process.exit(0);
