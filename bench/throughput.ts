/**
 * The main run's sessions (bench/run.ts): one contestant process per session, its receivers
 * connected (the setup rate and idle memory read on the way), then the throughput cells, each a
 * closed-loop flow (bench/workloads.ts). A session can also carry the latency run on the same
 * receivers (the quick run: same connection count) and, once its receivers are gone, other work on
 * the same process (the identity row on Lapis JSON) before it stops: one process start fewer each.
 */
import { isAnyLapis, isSignalR, sendRequest, payloadOf } from './lib/contestants.ts';
import type { Kind, SendTarget } from './lib/contestants.ts';
import type { WorkerPool } from './lib/pool.ts';
import { cpuSeconds, rssBytes, sleep } from './lib/proc.ts';
import { startContestant } from './lib/servers.ts';
import type { LapisSetup, Running } from './lib/servers.ts';
import type { CellResult, Results } from './report.ts';
import { identityRate, latencyRun, publishFlow, Publishers, rbacRate, restFlow, signalrJoinGroup, unicastRequests, usePublisherAddress } from './workloads.ts';
import { freshSourceAddresses } from './lib/local-address.ts';
import type { FlowResult, Timing } from './workloads.ts';

export const GROUP_SIZE = 10;

export interface ThroughputParams {
  sizes: number[];
  rounds: number;
  timing: Timing;
  settleMs: number;
  workers: number;
  latencyConns: number;
  latencyWarmMs: number;
  latencyMs: number;
  /** How long the latency run waits for the last stamped messages after the senders stop. */
  latencyTailMs: number;
  identityMs: number;
  identityRounds: number;
}

export interface Bench {
  res: Results;
  P: ThroughputParams;
  pool: WorkerPool;
  lapis: LapisSetup;
  serverCore: number;
  /** Small groups and unicast run at this (the first) connection count. */
  smallConns: number;
  /** Idle memory and setup rate are kept at this (the largest) count. */
  memoryConns: number;
  want(w: CellResult['workload']): boolean;
  log(s: string): void;
  /** Adds the time spent in `fn` to a named phase (and keeps it out of the enclosing one). */
  timed<T>(phase: string, fn: () => Promise<T>): Promise<T>;
}

const fmt = (x: number) => (x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));

function cell(b: Bench, workload: CellResult['workload'], conns: number, size: number, fanout: number): CellResult {
  const id = `${workload}/${conns}/${size}`;
  let c = b.res.cells.find((x) => x.id === id);
  if (!c) b.res.cells.push((c = { id, workload, conns, size, fanout, rounds: {} }));
  return c;
}

function record(b: Bench, c: CellResult, kind: Kind, round: number, r: FlowResult | null, why?: string): void {
  const list = (c.rounds[kind] ??= []);
  list[round] = r;
  const tag = `${kind} ${c.id} round ${round + 1}`;
  if (!r) {
    if (why) b.res.notes.push(`${tag}: ${why}`);
    b.log(`  ${c.id.padEnd(28)} n/a${why ? ` (${why})` : ''}`);
    return;
  }
  if (r.lost !== 0) b.res.notes.push(`${tag}: ${r.lost} of ${r.expected} deliveries not received after the drain`);
  if (r.errors > 0) b.res.notes.push(`${tag}: ${r.errors} publish(es) refused: ${r.firstError}`);
  if (r.unexpectedCloses > 0) b.res.notes.push(`${tag}: the server closed ${r.unexpectedCloses} receiver connection(s)`);
  b.log(`  ${c.id.padEnd(28)} ${fmt(r.rate).padStart(7)} deliveries/s  server ${(r.serverCpu * 100).toFixed(0)}% generators ${(r.genCpu * 100).toFixed(0)}% (core ${(r.loadCpu * 100).toFixed(0)}%)  ${r.frameLen[0]}–${r.frameLen[1]} B frames, ${r.framesPerRead.toFixed(1)}/read` +
    `${r.lost ? `  LOST ${r.lost}` : ''}${r.errors ? `  ERR ${r.firstError}` : ''}${r.unexpectedCloses ? `  CLOSED ${r.unexpectedCloses}` : ''}`);
}

export async function connectReceivers(b: Bench, srv: Running, n: number): Promise<{ ms: number; ids: Map<number, string> }> {
  const per = Math.ceil(n / b.P.workers);
  // Fresh source addresses for this session's receivers, and for its publishers and REST callers
  // (bench/lib/local-address.ts: an address whose ports the previous sessions left in TIME_WAIT
  // makes the kernel hunt for free ports; bench/time-wait-probe.ts measures it).
  const sources = freshSourceAddresses();
  usePublisherAddress(sources.of(-1));
  const replies = await Promise.all(b.pool.workers.map((w, i) => w.call('connect', {
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

/** The first flow of a session gets the full warm-up (a fresh process), the later ones `warmNextMs`. */
function flowTiming(t: Timing): () => Timing {
  let first = true;
  return () => {
    const now = first ? t : { ...t, warmMs: t.warmNextMs ?? t.warmMs };
    first = false;
    return now;
  };
}

export interface SessionExtras {
  /** Run the latency row on this session's receivers after the cells (needs n = latencyConns). */
  latency?: boolean;
  /** Work for the same process once its receivers are closed (e.g. the identity row). */
  after?: (srv: Running) => Promise<void>;
}

export async function session(b: Bench, kind: Kind, n: number, round: number, extras: SessionExtras = {}): Promise<void> {
  const { pool, P, res } = b;
  b.log(`[round ${round + 1}] ${kind} with ${n} connections`);
  const srv = await startContestant(kind, b.serverCore, b.lapis);
  let pubs: Publishers | undefined;
  try {
    await sleep(300);
    const rss0 = rssBytes(srv.pid);
    const cpu0 = cpuSeconds(srv.pid);
    const { ms, ids } = await connectReceivers(b, srv, n);
    const setupCpuUs = ((cpuSeconds(srv.pid) - cpu0) / n) * 1e6;
    // Serverless SignalR clients cannot join groups: the app server adds them (REST, not timed as setup).
    if (isSignalR(kind)) await signalrJoinGroup(srv.ep, [...ids.values()], 'all');
    await sleep(P.settleMs);
    const rss1 = rssBytes(srv.pid);
    const setupRate = n / (ms / 1000);
    b.log(`  setup ${fmt(setupRate)}/s (server ${setupCpuUs.toFixed(0)} µs CPU/conn), idle RSS +${((rss1 - rss0) / n / 1024).toFixed(1)} KiB/conn`);
    if (n === b.memoryConns) {
      ((res.memory[kind] ??= [])[round]) = (rss1 - rss0) / n;
      ((res.setup[kind] ??= [])[round]) = setupRate;
      (((res.setupCpuUs ??= {})[kind] ??= [])[round]) = setupCpuUs;
    }
    const broadcastWindow = Math.max(3 * n, 16_000);
    const timing = flowTiming(P.timing);
    const rest = (target: SendTarget, size: number) => restFlow({ pool, pid: srv.pid, ep: srv.ep, requests: [sendRequest(srv.ep, target, Buffer.from(payloadOf(size)))], fanout: n, window: broadcastWindow, maxInFlight: 64, timing: timing() });
    // Server-side broadcast first, while only receivers are connected (a hub-wide send would also reach publishers).
    for (const size of b.want('rest-broadcast') ? P.sizes : []) record(b, cell(b, 'rest-broadcast', n, size, n), kind, round, await rest({ scope: 'all' }, size));
    // Server-side send to the group every receiver is in (the group fan-out SignalR serverless has).
    if (b.want('rest-group') && n === b.smallConns && kind !== 'lapis-reliable') record(b, cell(b, 'rest-group', n, 100, n), kind, round, await rest({ scope: 'group', group: 'all' }, 100));
    if (isSignalR(kind)) {
      // Serverless clients' messages go upstream, so there is no client publish; unicast (REST) for JSON only, to keep the run short.
      if (kind === 'signalr-json' && n === b.smallConns) await unicastCells(b, srv, kind, n, round, ids, timing);
    } else {
      // The reliable contestant is measured on the broadcast rows (issue 16's reliable ≥ 0.8× plain JSON target) to keep the run short.
      const small = n === b.smallConns && kind !== 'lapis-reliable' ? Array.from({ length: Math.floor(n / GROUP_SIZE) }, (_, g) => `s${g}`) : [];
      pubs = await Publishers.open(srv.ep, ['all', ...small]);
      for (const size of b.want('group-broadcast') ? P.sizes : []) {
        const r = await publishFlow({ pool, pid: srv.pid, ep: srv.ep, conns: [pubs.conns[0]!], groups: ['all'], size, fanout: n, window: broadcastWindow, timing: timing() });
        record(b, cell(b, 'group-broadcast', n, size, n), kind, round, r);
      }
      if (small.length > 0) {
        const fullGroups = small.filter((_, g) => (g + 1) * GROUP_SIZE <= n);
        if (b.want('small-group')) {
          const r = await publishFlow({ pool, pid: srv.pid, ep: srv.ep, conns: pubs.conns.slice(1, 1 + fullGroups.length), groups: fullGroups, size: 100, fanout: GROUP_SIZE, window: 16_000, timing: timing() });
          record(b, cell(b, 'small-group', n, 100, GROUP_SIZE), kind, round, r);
        }
        await unicastCells(b, srv, kind, n, round, ids, timing);
        // The latency row on the same receivers and small-group publishers (one sender per group of 10).
        if (extras.latency) await b.timed('latency', () => latencyOn(b, srv, kind, pubs!.conns.slice(1, 1 + fullGroups.length), fullGroups));
      }
    }
    if (extras.after) {
      pubs?.close();
      pubs = undefined;
      await pool.all('closeAll');
      await extras.after(srv);
    }
  } finally {
    pubs?.close();
    await pool.all('closeAll').catch(() => {});
    await srv.stop();
  }
}

/** REST sends to one user / one connection at a time, every receiver in turn. */
async function unicastCells(b: Bench, srv: Running, kind: Kind, n: number, round: number, ids: Map<number, string>, timing: () => Timing): Promise<void> {
  const { pool } = b;
  const users: SendTarget[] = Array.from({ length: n }, (_, i) => ({ scope: 'user', user: `u${i}` }));
  if (b.want('unicast-user')) {
    const ru = await restFlow({ pool, pid: srv.pid, ep: srv.ep, requests: unicastRequests(srv.ep, users, 100), fanout: 1, window: 1024, maxInFlight: 1024, timing: timing() });
    record(b, cell(b, 'unicast-user', n, 100, 1), kind, round, ru);
  }
  const connTargets: SendTarget[] | undefined = kind === 'lapis-simple' ? undefined
    : Array.from({ length: n }, (_, i) => ({ scope: 'connection', id: isAnyLapis(kind) ? ids.get(i)! : `c${i}` }));
  if (!b.want('unicast-conn')) {
    // skipped
  } else if (!connTargets) {
    record(b, cell(b, 'unicast-conn', n, 100, 1), kind, round, null, 'plain WebSocket clients are not told their connection id');
  } else {
    const rc = await restFlow({ pool, pid: srv.pid, ep: srv.ep, requests: unicastRequests(srv.ep, connTargets, 100), fanout: 1, window: 1024, maxInFlight: 1024, timing: timing() });
    record(b, cell(b, 'unicast-conn', n, 100, 1), kind, round, rc);
  }
}

async function latencyOn(b: Bench, srv: Running, kind: Kind, senders: Publishers['conns'], groups: string[]): Promise<void> {
  const { P, res } = b;
  b.log(`[latency] ${kind} with ${groups.length * GROUP_SIZE} receivers in groups of ${GROUP_SIZE}, one 2 KB sender per group at 1 msg/s`);
  const r = await latencyRun({ pool: b.pool, pid: srv.pid, ep: srv.ep, publishers: { conns: senders }, groups, groupSize: GROUP_SIZE, warmMs: P.latencyWarmMs, measureMs: P.latencyMs, tailMs: P.latencyTailMs });
  res.latency[kind] = r;
  if (r.received < r.expected) res.notes.push(`latency ${kind}: received ${r.received} of about ${r.expected} expected deliveries`);
  b.log(`  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  max ${r.maxMs.toFixed(1)} ms  samples ${r.samples}  received ${r.received}/${r.expected}  server ${(r.serverCpu * 100).toFixed(0)}%`);
}

/** The latency row in a session of its own (the full run: 10,000 receivers, more than the throughput cells' first count). */
export async function latencySession(b: Bench, kind: Kind, extras: Pick<SessionExtras, 'after'> = {}): Promise<void> {
  const n = b.P.latencyConns;
  const srv = await startContestant(kind, b.serverCore, b.lapis);
  let pubs: Publishers | undefined;
  try {
    await connectReceivers(b, srv, n);
    const groups = Array.from({ length: Math.floor(n / GROUP_SIZE) }, (_, g) => `s${g}`);
    pubs = await Publishers.open(srv.ep, groups);
    await latencyOn(b, srv, kind, pubs.conns, groups);
    if (extras.after) {
      pubs.close();
      pubs = undefined;
      await b.pool.all('closeAll');
      await extras.after(srv);
    }
  } finally {
    pubs?.close();
    await b.pool.all('closeAll').catch(() => {});
    await srv.stop();
  }
}

/** The identity rows (token endpoint, RBAC-checked REST) on a running Lapis JSON process with no receivers. */
export async function identityOn(b: Bench, srv: Running): Promise<void> {
  const { P, res, lapis } = b;
  b.log('[identity] token endpoint and RBAC-checked REST');
  res.identity = [];
  for (let r = 0; r < P.identityRounds; r++) {
    const x = await identityRate(srv.ready!, P.identityMs, 16, srv.pid);
    res.identity.push(x);
    b.log(`  identity: ${x.available ? `${fmt(x.rate!)} requests/s (${x.errors} errors)` : x.note}`);
    if (!x.available) break;
  }
  res.rbac = await rbacRate(srv.ready!, lapis.rbacDeclared, lapis.rbacNote, P.identityMs, 16);
  b.log(`  rbac: ${res.rbac.available ? `${fmt(res.rbac.rate!)} requests/s` : res.rbac.note}`);
}

/** The identity rows in a Lapis JSON process of their own (when no Lapis JSON session is left to carry them). */
export async function identitySession(b: Bench): Promise<void> {
  const srv = await startContestant('lapis-json', b.serverCore, b.lapis);
  try {
    await identityOn(b, srv);
  } finally {
    await srv.stop();
  }
}
