/**
 * `npm run bench` — issue 7's benchmark. Starts every contestant itself (pinned to core 0), drives
 * the same workloads at each from raw-TCP load generators (pinned to core 1), in alternating
 * rounds, and writes the ratio table (stdout), bench/results/latest.json and latest.svg.
 *
 *   npm run bench                 full run (must stay under 15 minutes on an idle 2-vCPU machine)
 *   npm run bench -- --quick      smoke run: one round at 1,000 connections (must stay under 2 minutes)
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
import { isLapis, isSignalR, KINDS } from './lib/contestants.ts';
import type { Kind } from './lib/contestants.ts';
import { buildDotnetApp } from './lib/dotnet-app.ts';
import { WorkerPool } from './lib/pool.ts';
import { hardFdLimit, hasTaskset, pin } from './lib/proc.ts';
import { prepareLapis } from './lib/servers.ts';
import type { Running } from './lib/servers.ts';
import { cryptoRates } from './lib/crypto-baseline.ts';
import { runUpstream, startUpstreamHandler } from './upstream-workload.ts';
import { defaultModeAlone, defaultModeParams, runDefaultMode } from './default-mode.ts';
import type { DefaultModeResults } from './default-mode.ts';
import { BASELINE, median, table, targets } from './report.ts';
import { svg } from './report-chart.ts';
import { issue16Rows, issue16Targets } from './report-issue16.ts';
import { defaultModeTable, defaultModeTargets } from './report-default-mode.ts';
import type { CellResult, Results } from './report.ts';
import { GROUP_SIZE, identityOn, identitySession, latencySession, session } from './throughput.ts';
import type { Bench } from './throughput.ts';
import { LOAD_CORE } from './workloads.ts';
import type { Timing } from './workloads.ts';

const SERVER_CORE = 0;
/**
 * Contestants measured at the first (smaller) connection count only, to keep the full run under
 * 15 minutes: setting up 15,000 SignalR connections (negotiate + connect) takes 20–30 s a round.
 * (`--conns 15000 --kinds lapis-json,signalr-json` measures them at 15,000.)
 */
const SMALL_COUNT_ONLY: ReadonlySet<Kind> = new Set(['signalr-json', 'signalr-msgpack', 'signalr-sse', 'lapis-reliable']);
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
  /** The quick run measures one round (fresh processes, every cell); --rounds 2 gives it a noise column. */
  rounds: argv.rounds ? Number(argv.rounds) : quick ? 1 : 3,
  /** Rounds at ≥ 10,000 connections (setting them up dominates the run time). */
  bigRounds: argv.rounds ? Number(argv.rounds) : 2,
  timing: (quick ? { warmMs: 200, warmNextMs: 100, measureMs: 400, drainMs: 3000 } : { warmMs: 400, measureMs: 1200, drainMs: 8000 }) as Timing,
  settleMs: quick ? 300 : 1000,
  workers: 4,
  latencyConns: quick ? 1000 : 10_000,
  latencyWarmMs: quick ? 300 : 2000,
  latencyMs: quick ? 1000 : 5000,
  latencyTailMs: quick ? 500 : 1000,
  identityMs: quick ? 500 : 2000,
  identityRounds: quick ? 2 : 3,
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

async function main(): Promise<void> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'lapis-bench-'));
  const profileDir = join(RESULTS, 'profiles');
  if (argv.profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  // Phases: wall time per part of the run; work nested in another phase (the identity row inside a
  // Lapis JSON session, the quick run's latency inside its sessions) is counted in its own.
  const phases: Record<string, number> = {};
  let phaseStart = started;
  let nestedMs = 0;
  const phase = (name: string) => {
    const ms = Date.now() - phaseStart - nestedMs;
    phases[name] = Math.round((phases[name] ?? 0) * 10 + ms / 100) / 10;
    phaseStart = Date.now();
    nestedMs = 0;
    log(`  (${name}: ${phases[name]} s)`);
  };
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      const ms = Date.now() - t0;
      nestedMs += ms;
      phases[name] = Math.round((phases[name] ?? 0) * 10 + ms / 100) / 10;
    }
  };
  // Preparation on the load core (the world files, the load generators, the upstream row's handler,
  // the .NET app's build check) while the crypto baselines measure alone on the server core.
  const nodeFlags = argv.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const crypto = cryptoRates(SERVER_CORE, P.cryptoMs);
  const pool = new WorkerPool(P.workers, LOAD_CORE);
  const wantUpstream = !argv['no-upstream'] && P.kinds.some(isLapis);
  const upstreamHandler = wantUpstream ? startUpstreamHandler(LOAD_CORE) : undefined;
  upstreamHandler?.catch(() => {});
  const dotnetBuild = withDefaultMode ? buildDotnetApp() : undefined;
  const lapis = await prepareLapis(work, nodeFlags);
  if (!lapis.rbacDeclared) log(`bench: ${lapis.rbacNote}`);
  const cr = await crypto;
  res.crypto = { hs256Verify: cr.hs256, rs256Sign: cr.rs256, rs256SignPerCpuSecond: cr.rs256PerCpuSecond };
  if (cr.error) res.notes.push(cr.error);
  log(`[crypto] HS256 client-token check ${fmt(cr.hs256)}/s, RS256 sign ${fmt(cr.rs256)}/s (server core)`);
  let failure: unknown;
  let dm: DefaultModeResults | undefined;
  phase('preparation + crypto baselines');
  const b: Bench = { res, P, pool, lapis, serverCore: SERVER_CORE, smallConns, memoryConns, want, log, timed };
  const wantIdentity = !argv['no-identity'] && P.kinds.some(isLapis);
  // The latency run times client publishes, which serverless SignalR clients do not have.
  // Quick mode: only the pair a target reads (Lapis JSON p99, with the baseline beside it).
  const latencyKinds = argv['no-latency'] ? [] : P.kinds.filter((k) => !isSignalR(k) && k !== 'lapis-reliable' && (!quick || k === BASELINE || k === 'lapis-json'));
  // When the latency count is the cells' first count (the quick run), the latency row runs in the
  // last round's session of each of its contestants, on the same receivers.
  const latencyInSessions = P.latencyConns === smallConns;
  let identityDone = !wantIdentity;
  const identityAfter = async (srv: Running) => {
    await timed('identity', () => identityOn(b, srv));
    identityDone = true;
  };
  try {
    for (const n of P.conns) {
      const rounds = n >= 10_000 ? Math.min(P.rounds, P.bigRounds) : P.rounds;
      for (let round = 0; round < rounds; round++) {
        // Alternate the order from round to round so drift (thermal, other load) spreads evenly.
        const order = round % 2 === 0 ? [...P.kinds] : [...P.kinds].reverse();
        const lastRound = n === smallConns && round === rounds - 1;
        for (const kind of order.filter((k) => n === smallConns || !SMALL_COUNT_ONLY.has(k))) {
          const latency = latencyInSessions && lastRound && latencyKinds.includes(kind);
          // The identity row rides on the last Lapis JSON process of the quick run (no latency session follows).
          const after = latencyInSessions && lastRound && kind === 'lapis-json' && !identityDone ? identityAfter : undefined;
          try {
            await session(b, kind, n, round, { latency, after });
          } catch (err) {
            res.notes.push(`${kind} ${n} conns round ${round + 1} failed: ${(err as Error).message}`);
            log(`  FAILED: ${(err as Error).message}`);
          }
        }
      }
    }
    phase('throughput rounds');
    if (!latencyInSessions) {
      for (const kind of latencyKinds) {
        try {
          // The identity row rides on the Lapis JSON latency process, once its receivers are closed.
          await latencySession(b, kind, { after: kind === 'lapis-json' && !identityDone ? identityAfter : undefined });
        } catch (err) {
          res.notes.push(`latency ${kind} failed: ${(err as Error).message}`);
          log(`  FAILED: ${(err as Error).message}`);
        }
      }
      phase('latency');
    }
    if (!identityDone) await timed('identity', () => identitySession(b));
    if (wantUpstream) {
      log('[upstream] event-handler round trips: Lapis vs a bare fetch client driving the same handler');
      try {
        res.upstream = await runUpstream({ workDir: join(work, 'upstream'), serverCore: SERVER_CORE, loadCore: LOAD_CORE, nodeFlags: lapis.nodeFlags, ...P.upstream, log, handler: upstreamHandler });
        res.notes.push(...res.upstream.notes);
      } catch (err) {
        res.notes.push(`upstream row failed: ${(err as Error).message}`);
        log(`  FAILED: ${(err as Error).message}`);
      }
      phase('upstream');
    }
    if (withDefaultMode) {
      dm = await runDefaultMode({ workDir: join(work, 'default-mode'), params: defaultModeParams(quick, argv.rounds ? Number(argv.rounds) : undefined), serverCore: SERVER_CORE, loadCore: LOAD_CORE, nodeFlags: lapis.nodeFlags, build: dotnetBuild });
      phase('default mode');
    }
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
