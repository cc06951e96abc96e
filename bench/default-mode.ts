/**
 * Issue 12's default-mode row: echo and broadcast through the interop tests' ASP.NET Core app with
 * Microsoft.Azure.SignalR connected to Lapis, against the same app and hub self-hosted on Kestrel
 * (no Azure SDK), in alternating rounds of the same run, each after a warm-up. Called by
 * bench/run.ts (`--default-mode` runs this row alone; the full run includes it); skips with a
 * printed reason when `dotnet` is missing or the app cannot be built.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { broadcastFlow, connectReceivers, echoRun } from './default-mode-workloads.ts';
import type { BroadcastResult, EchoResult } from './default-mode-workloads.ts';
import { buildDotnetApp } from './lib/dotnet-app.ts';
import type { BuildResult } from './lib/dotnet-app.ts';
import { DM_CONTESTANTS, prepareDefaultModeLapis, startDefaultMode } from './lib/default-mode-servers.ts';
import type { DmContestant, DmRunning } from './lib/default-mode-servers.ts';
import { WorkerPool } from './lib/pool.ts';
import { sleep } from './lib/proc.ts';

const WORKER = fileURLToPath(new URL('./default-mode-worker.ts', import.meta.url));

export interface DefaultModeParams {
  rounds: number;
  receivers: number;
  /** Clients invoking Broadcast, taking turns. */
  senders: number;
  size: number;
  echoClients: number;
  echoWarm: number;
  echoCalls: number;
  warmMs: number;
  measureMs: number;
  drainMs: number;
  workers: number;
}

export function defaultModeParams(quick: boolean, rounds?: number): DefaultModeParams {
  return quick
    ? { rounds: rounds ?? 1, receivers: 300, senders: 4, size: 100, echoClients: 4, echoWarm: 100, echoCalls: 300, warmMs: 500, measureMs: 1000, drainMs: 5000, workers: 2 }
    : { rounds: rounds ?? 3, receivers: 1000, senders: 4, size: 100, echoClients: 4, echoWarm: 200, echoCalls: 1000, warmMs: 500, measureMs: 2000, drainMs: 8000, workers: 2 };
}

export interface DefaultModeRound {
  contestant: DmContestant;
  round: number;
  echo: EchoResult | null;
  broadcast: BroadcastResult | null;
  /** Load averages (1, 5, 15 min) when the round started: the machine is shared. */
  load: string;
  error?: string;
}

export interface DefaultModeResults {
  /** Why the row was not measured (no dotnet, build failed). */
  skipped?: string;
  meta: Record<string, unknown>;
  rounds: DefaultModeRound[];
  notes: string[];
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const fmt = (x: number) => (x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const pct = (x: number | undefined) => (x === undefined ? '' : `${(x * 100).toFixed(0)}%`);

/** `uptime`'s load averages, to be read with the figures (the machine is shared). */
export function loadNow(): string {
  return loadavg().map((x) => x.toFixed(2)).join(', ');
}

async function oneRound(pool: WorkerPool, srv: DmRunning, p: DefaultModeParams, r: DefaultModeRound, loadCore: number): Promise<void> {
  r.echo = await echoRun(srv, { clients: p.echoClients, warm: p.echoWarm, calls: p.echoCalls, size: p.size });
  const e = r.echo;
  log(`  echo p50 ${e.p50Ms.toFixed(2)} ms  p90 ${e.p90Ms.toFixed(2)} ms  p99 ${e.p99Ms.toFixed(2)} ms  (${e.samples} calls, ${fmt(e.callsPerSecond)}/s)  ` +
    `CPU per call: service ${e.serviceCpuUsPerCall.toFixed(0)} µs${e.appCpuUsPerCall !== undefined ? `, app ${e.appCpuUsPerCall.toFixed(0)} µs` : ''}; ` +
    `run-queue wait per call: service ${e.serviceWaitUsPerCall.toFixed(0)} µs${e.appWaitUsPerCall !== undefined ? `, app ${e.appWaitUsPerCall.toFixed(0)} µs` : ''}`);
  const t0 = Date.now();
  await connectReceivers(pool, srv, p.receivers);
  log(`  ${p.receivers} receivers connected in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await sleep(300);
  // Warm-up pass (JIT, pools, buffers), then the measured one.
  await broadcastFlow(pool, srv, { receivers: p.receivers, senders: p.senders, size: p.size, window: Math.max(16 * p.receivers, 16_000), warmMs: p.warmMs, measureMs: 500, drainMs: p.drainMs, loadCore });
  r.broadcast = await broadcastFlow(pool, srv, { receivers: p.receivers, senders: p.senders, size: p.size, window: Math.max(16 * p.receivers, 16_000), warmMs: p.warmMs, measureMs: p.measureMs, drainMs: p.drainMs, loadCore });
  const b = r.broadcast;
  log(`  broadcast to ${p.receivers}: ${fmt(b.rate)} deliveries/s  service ${pct(b.serviceCpu)}${b.appCpu !== undefined ? ` app ${pct(b.appCpu)}` : ''}  ${b.recordsPerRead.toFixed(1)} records/read  load core ${pct(b.loadCoreBusy)}` +
    `${b.lost ? `  LOST ${b.lost}` : ''}${b.unexpectedCloses ? `  CLOSED ${b.unexpectedCloses}` : ''}`);
}

export async function runDefaultMode(o: { workDir: string; params: DefaultModeParams; serverCore: number; loadCore: number; nodeFlags: string[]; build?: Promise<BuildResult> }): Promise<DefaultModeResults> {
  const p = o.params;
  const meta: Record<string, unknown> = {
    when: new Date().toISOString(),
    cpus: cpus().map((c) => c.model)[0],
    cpuCount: cpus().length,
    params: p,
    placement: `server side on core ${o.serverCore} (the self-hosted app; or Lapis and the app server), clients on core ${o.loadCore}`,
    loadBefore: loadNow(),
  };
  const res: DefaultModeResults = { meta, rounds: [], notes: [] };
  log('[default mode] building the .NET app (once per content hash)');
  // The full run starts the build check at its beginning (`build`), so it is done by now.
  const build = await (o.build ?? buildDotnetApp());
  if (!build.ok) {
    res.skipped = build.reason;
    log(`[default mode] skipped: ${build.reason}`);
    return res;
  }
  const lapis = await prepareDefaultModeLapis(o.workDir, o.nodeFlags);
  const pool = new WorkerPool(p.workers, o.loadCore, WORKER);
  try {
    for (let round = 0; round < p.rounds; round++) {
      const order = round % 2 === 0 ? [...DM_CONTESTANTS] : [...DM_CONTESTANTS].reverse();
      for (const contestant of order) {
        log(`[default mode, round ${round + 1}] ${contestant}: ${p.echoClients} echo clients, then broadcast to ${p.receivers} receivers (${p.size} B); load ${loadNow()}`);
        const r: DefaultModeRound = { contestant, round, echo: null, broadcast: null, load: loadNow() };
        res.rounds.push(r);
        let srv: DmRunning | undefined;
        try {
          const t0 = Date.now();
          srv = await startDefaultMode(contestant, { dllPath: build.dllPath, serverCore: o.serverCore, appCore: o.serverCore, lapis });
          log(`  started and serving in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
          await oneRound(pool, srv, p, r, o.loadCore);
          if (r.broadcast?.lost) res.notes.push(`${contestant} round ${round + 1}: ${r.broadcast.lost} of ${r.broadcast.expected} broadcast deliveries not received after the drain`);
          if (r.broadcast?.unexpectedCloses) res.notes.push(`${contestant} round ${round + 1}: the server closed ${r.broadcast.unexpectedCloses} receiver(s)`);
        } catch (err) {
          r.error = (err as Error).message;
          res.notes.push(`default mode ${contestant} round ${round + 1} failed: ${r.error.split('\n')[0]}`);
          log(`  FAILED: ${r.error}`);
        } finally {
          const t1 = Date.now();
          await pool.all('closeAll').catch(() => {});
          await srv?.stop();
          log(`  stopped in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
        }
      }
    }
  } finally {
    await pool.close();
  }
  meta.loadAfter = loadNow();
  return res;
}

/**
 * `npm run bench -- --default-mode`: this row alone. Writes bench/results/default-mode.json (the
 * full run's latest.json is left alone) and prints the table and the targets.
 */
export async function defaultModeAlone(o: { workDir: string; params: DefaultModeParams; serverCore: number; loadCore: number; nodeFlags: string[]; resultsDir: string }): Promise<void> {
  const { defaultModeTable, defaultModeTargets } = await import('./report-default-mode.ts');
  const started = Date.now();
  const res = await runDefaultMode(o);
  res.meta.durationS = Math.round((Date.now() - started) / 1000);
  const tbl = defaultModeTable(res);
  const tl = defaultModeTargets(res);
  mkdirSync(o.resultsDir, { recursive: true });
  writeFileSync(join(o.resultsDir, 'default-mode.json'), `${JSON.stringify({ ...res, table: tbl.split('\n'), targets: tl }, null, 1)}\n`);
  process.stdout.write(`\n${tbl}\n\nTargets (issue 12):\n`);
  for (const t of tl) process.stdout.write(`${t.ok === null ? 'N/A ' : t.ok ? 'PASS' : 'FAIL'}  ${t.text}\n`);
  if (res.notes.length) process.stdout.write(`\nNotes:\n${res.notes.map((n) => `- ${n}`).join('\n')}\n`);
  process.stdout.write(`\nWrote bench/results/default-mode.json (${res.meta.durationS} s). Figures are only meaningful on an otherwise idle machine.\n`);
}
