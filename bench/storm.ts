/**
 * `npm run bench -- --storm` — the reconnect storm (issue 16): N clients connected with session
 * recovery each have received a message; then every client's socket is destroyed at once and every
 * client reconnects at once asking to resume. Measured: time until all are connected again (and the
 * median), how many sessions were resumed vs started anew, failed attempts, clients that never came
 * back within the window, the server's peak RSS above its level before the storm, and whether a
 * broadcast after the storm reaches everyone. Lapis (reliable JSON subprotocol, resume with
 * `awps_reconnection_token`) against Socket.IO 4 with `connectionStateRecovery`, in the same run,
 * each pinned to the server core, the clients on the load core.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendRequest } from './lib/contestants.ts';
import type { Endpoint } from './lib/contestants.ts';
import { WorkerPool } from './lib/pool.ts';
import { printedPort, rssBytes, sleep, spawnNode, stop } from './lib/proc.ts';
import { HttpClient } from './lib/rawhttp.ts';
import { prepareLapis, startContestant } from './lib/servers.ts';
import type { StormKind } from './lib/storm-client.ts';
import { freshSourceAddresses } from './lib/local-address.ts';

const WORKER = fileURLToPath(new URL('./storm-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const WORKERS = 4;

export interface StormResult {
  contestant: StormKind;
  clients: number;
  connectMs: number;
  /** From the drop until the last client was connected again. */
  allBackMs: number;
  medianBackMs: number;
  recovered: number;
  fresh: number;
  unreachable: number;
  failedAttempts: number;
  firstErrors: string[];
  rssBeforeMiB: number;
  peakRssAboveMiB: number;
  /** Clients whose socket was open when the storm ended (connected again and not closed since). */
  openAfter: number;
  /** Clients a broadcast sent after the storm reached. */
  deliveredAfter: number;
  /** Load averages (1, 5, 15 min) when the storm started: the machine may be shared. */
  loadBefore: string;
}

interface Server {
  pid: number;
  ep: Endpoint;
  stop(): Promise<void>;
}

async function startServer(kind: StormKind, core: number, workDir: string): Promise<Server> {
  if (kind === 'lapis-reliable') {
    const r = await startContestant('lapis-json', core, await prepareLapis(workDir, []));
    return r;
  }
  const child = spawnNode({ core, cwd: ROOT, args: ['bench/servers/socketio-server.ts', 'recovery'] });
  const port = await printedPort(child, 'socketio-recovery');
  return { pid: child.pid!, ep: { kind: 'socketio', port }, stop: () => stop(child, 5000, 'SIGTERM') };
}

/** Sends one server-side broadcast and waits until `n` clients counted it (or `ms` passed). */
async function broadcastAndCount(pool: WorkerPool, http: HttpClient, ep: Endpoint, n: number, ms: number): Promise<number> {
  await pool.reset();
  const answer = await http.send(sendRequest(ep, { scope: 'all' }, Buffer.from('storm')));
  if (answer.status !== 202) throw new Error(`broadcast answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  const deadline = Date.now() + ms;
  let got = 0;
  while (Date.now() < deadline) {
    got = (await pool.stats()).frames;
    if (got >= n) break;
    await sleep(50);
  }
  return got;
}

async function one(kind: StormKind, n: number, o: { serverCore: number; loadCore: number; workDir: string; log: (s: string) => void }): Promise<StormResult> {
  const server = await startServer(kind, o.serverCore, join(o.workDir, kind));
  const pool = new WorkerPool(WORKERS, o.loadCore, WORKER);
  const http = new HttpClient(server.ep.port, 1, undefined, true);
  try {
    const per = Math.ceil(n / WORKERS);
    const t0 = performance.now();
    const sources = freshSourceAddresses();
    const replies = await Promise.all(pool.workers.map((w, i) => w.call('connect', {
      ep: server.ep, kind, from: i * per, to: Math.min(n, (i + 1) * per), concurrency: 64, localAddress: sources.of(i), timeoutMs: 30_000,
    })));
    const failed = replies.reduce((a, r) => a + (r.failed as number), 0);
    if (failed > 0) throw new Error(`${failed} of ${n} ${kind} clients could not connect: ${replies.flatMap((r) => r.errors as string[]).slice(0, 2).join(' / ')}`);
    const connectMs = performance.now() - t0;
    // Every client has a position to resume from (a sequence id, an event offset).
    const primed = await broadcastAndCount(pool, http, server.ep, n, 15_000);
    if (primed < n) throw new Error(`only ${primed} of ${n} ${kind} clients got the first broadcast`);
    await sleep(500);
    const rssBefore = rssBytes(server.pid);
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(server.pid));
    }, 20);
    const loadBefore = loadavg().map((x) => x.toFixed(2)).join(', ');
    o.log(`[storm] ${kind}: ${n} clients connected in ${(connectMs / 1000).toFixed(1)} s; all drop and reconnect at once (load ${loadBefore})`);
    const storms = await pool.all('storm', { timeoutMs: 15_000, windowMs: 60_000 });
    clearInterval(sampler);
    const doneMs = storms.flatMap((s) => s.doneMs as number[]).sort((a, b) => a - b);
    const sum = (k: string) => storms.reduce((a, s) => a + (s[k] as number), 0);
    const openAfter = (await pool.stats()).open;
    const deliveredAfter = await broadcastAndCount(pool, http, server.ep, n, 15_000);
    return {
      contestant: kind,
      clients: n,
      connectMs,
      allBackMs: doneMs.length ? doneMs[doneMs.length - 1]! : Number.NaN,
      medianBackMs: doneMs.length ? doneMs[Math.floor(doneMs.length / 2)]! : Number.NaN,
      recovered: sum('recovered'),
      fresh: sum('fresh'),
      unreachable: sum('unreachable'),
      failedAttempts: sum('failedAttempts'),
      firstErrors: storms.flatMap((s) => s.errors as string[]).slice(0, 3),
      rssBeforeMiB: rssBefore / 2 ** 20,
      peakRssAboveMiB: (peak - rssBefore) / 2 ** 20,
      openAfter,
      deliveredAfter,
      loadBefore,
    };
  } finally {
    http.close();
    await pool.all('closeAll').catch(() => {});
    await pool.close();
    await server.stop();
  }
}

export function stormTable(rows: StormResult[]): string {
  const line = (label: string, f: (r: StormResult) => string) => `${label.padEnd(44)}${rows.map((r) => f(r).padEnd(24)).join('')}`;
  return [
    line('reconnect storm', (r) => r.contestant),
    line('clients', (r) => String(r.clients)),
    line('first connect of all of them', (r) => `${(r.connectMs / 1000).toFixed(1)} s`),
    line('time until all are connected again', (r) => `${(r.allBackMs / 1000).toFixed(2)} s`),
    line('median time to reconnect', (r) => `${(r.medianBackMs / 1000).toFixed(2)} s`),
    line('sessions resumed / started anew', (r) => `${r.recovered} / ${r.fresh}`),
    line('failed attempts (retried)', (r) => String(r.failedAttempts)),
    line('never back within 60 s', (r) => String(r.unreachable)),
    line('server RSS before; peak above it', (r) => `${r.rssBeforeMiB.toFixed(0)} MiB; +${r.peakRssAboveMiB.toFixed(0)} MiB`),
    line('open when the storm ended', (r) => `${r.openAfter} of ${r.clients}`),
    line('broadcast after the storm reached', (r) => `${r.deliveredAfter} of ${r.clients}`),
    line('load average before the storm', (r) => r.loadBefore),
  ].join('\n');
}

export async function runStorm(o: { quick: boolean; conns?: number; serverCore: number; loadCore: number; log: (s: string) => void }): Promise<StormResult[]> {
  const n = o.conns ?? (o.quick ? 2000 : 10_000);
  const workDir = mkdtempSync(join(tmpdir(), 'lapis-storm-'));
  const rows: StormResult[] = [];
  try {
    for (const kind of ['lapis-reliable', 'socketio-recovery'] as const) rows.push(await one(kind, n, { ...o, workDir }));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const table = stormTable(rows);
  process.stdout.write(`${table}\n`);
  const [lapis, sio] = rows;
  if (lapis && sio) {
    process.stdout.write(`\nLapis / Socket.IO, time until all are back: ${(lapis.allBackMs / sio.allBackMs).toFixed(2)}× (lower is better); ` +
      `peak RSS growth: ${(lapis.peakRssAboveMiB / Math.max(1, sio.peakRssAboveMiB)).toFixed(2)}×\n`);
  }
  writeFileSync(join(RESULTS, o.quick ? 'storm-quick.json' : 'storm.json'), `${JSON.stringify({ at: new Date().toISOString(), rows }, null, 2)}\n`);
  return rows;
}
