/**
 * The cluster benchmark's two measurements, over several server processes at once:
 * - broadcast: server-side sends to everyone through node A (REST `:send` for Lapis, `POST
 *   /broadcast` → `io.emit` for Socket.IO), closed-loop on deliveries (at most `window`
 *   outstanding) so every contestant runs at its own saturation point, counted at the receivers;
 * - cross-node latency: client publishes on node A to groups of 10 whose members sit on node A
 *   (same-node) or node B (cross-node), 2 KB at 1 message/s/sender, send stamps in the payload
 *   (hrtime, the same clock for every process of the machine), split by the worker that received.
 * CPU is read from /proc for every server process, Redis and the generators.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Endpoint } from './contestants.ts';
import type { WorkerPool } from './pool.ts';
import { coreTimes, cpuSeconds, hasTaskset, sleep } from './proc.ts';
import { HttpClient } from './rawhttp.ts';
import { latencyStats, PacedSenders, type LatencyStats } from './paced-senders.ts';

export type { LatencyStats };
import type { Publishers, Timing } from '../workloads.ts';

const PUBLISHER_ADDRESS = '127.0.0.9';

/** Moves a running process to a list of cores (`0,1`), e.g. to unpin the load generators. */
export function pinList(pid: number, cores: string): void {
  if (hasTaskset) spawnSync('taskset', ['-cp', cores, String(pid)], { stdio: 'ignore' });
}

const sumCpu = (pids: number[]) => pids.reduce((a, p) => a + cpuSeconds(p), 0);

/** The main thread's scheduler counters (ns waiting on a run queue, times scheduled); zeros when unreadable. */
function schedstat(pid: number): { waitNs: number; slices: number } {
  try {
    const [, wait, slices] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { waitNs: wait ?? 0, slices: slices ?? 0 };
  } catch {
    return { waitNs: 0, slices: 0 };
  }
}

export interface RunQueueWait {
  /** Ms per second the main threads spent runnable but waiting for a core (summed over the processes). */
  waitMsPerS: number;
  /** Mean wait each time a main thread was scheduled, in ms. */
  meanWaitMs: number;
}

function runQueueWait(pids: number[], before: { waitNs: number; slices: number }[], secs: number): RunQueueWait {
  let wait = 0;
  let slices = 0;
  pids.forEach((p, i) => {
    const now = schedstat(p);
    wait += now.waitNs - before[i]!.waitNs;
    slices += now.slices - before[i]!.slices;
  });
  return { waitMsPerS: wait / 1e6 / secs, meanWaitMs: slices > 0 ? wait / 1e6 / slices : 0 };
}

function machineTimes(cores: number[]): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of cores) {
    const t = coreTimes(c);
    busy += t.busy;
    total += t.total;
  }
  return { busy, total };
}

export interface ClusterFlowResult {
  rate: number;
  /** Server CPU during the window, in cores: total and per process (node A first). */
  serverCpu: number;
  perNodeCpu: number[];
  redisCpu: number | null;
  genCpu: number;
  /** Busy share of the whole machine (all cores) during the window, whoever used it (0–1). */
  machineBusy: number;
  sent: number;
  expected: number;
  received: number;
  lost: number;
  errors: number;
  firstError?: string;
  unexpectedCloses: number;
  /** Data frames per socket read at the receivers of each server process (how many frames the server writes at once). */
  framesPerRead: number[];
}

export interface BroadcastSpec {
  pool: WorkerPool;
  serverPids: number[];
  redisPid?: number | undefined;
  /** The node the sends go to (node A). */
  ep: Endpoint;
  request: Buffer;
  fanout: number;
  window: number;
  maxInFlight: number;
  timing: Timing;
  cores: number[];
  /** For each pool worker, the index of the server process its receivers are connected to. */
  workerNode: number[];
}

function genSeconds(pool: WorkerPool): number {
  return cpuSeconds(process.pid) + sumCpu(pool.workers.map((w) => w.child.pid!));
}

export async function broadcastFlow(s: BroadcastSpec): Promise<ClusterFlowResult> {
  const { pool, fanout, window } = s;
  const http = new HttpClient(s.ep.port, 8, PUBLISHER_ADDRESS);
  try {
    await pool.reset();
    await pool.all('report', { on: true, ms: 4 });
    let sent = 0;
    let stopped = false;
    let errors = 0;
    let firstError: string | undefined;
    const pump = () => {
      while (!stopped && sent * fanout - pool.frames < window && http.inFlight < s.maxInFlight && errors === 0) {
        http.request(s.request, (status, body) => {
          if (status >= 200 && status < 300) return;
          errors++;
          firstError ??= `HTTP ${status} ${body.slice(0, 300)}`;
        });
        sent++;
      }
    };
    pool.onCount = pump;
    const safety = setInterval(pump, 2);
    pump();
    await sleep(s.timing.warmMs);
    const snap = () => ({ d: pool.frames, t: performance.now(), node: s.serverPids.map(cpuSeconds), redis: s.redisPid ? cpuSeconds(s.redisPid) : 0, gen: genSeconds(pool), m: machineTimes(s.cores) });
    const a = snap();
    await sleep(s.timing.measureMs);
    const b = snap();
    stopped = true;
    clearInterval(safety);
    pool.onCount = () => {};
    const expected = sent * fanout;
    const st = await pool.drain(expected, s.timing.drainMs);
    const parts = await pool.all('stats');
    const frames = s.serverPids.map(() => 0);
    const reads = s.serverPids.map(() => 0);
    parts.forEach((p, w) => {
      frames[s.workerNode[w]!]! += p.frames as number;
      reads[s.workerNode[w]!]! += p.reads as number;
    });
    const secs = (b.t - a.t) / 1000;
    const perNodeCpu = b.node.map((x, i) => (x - a.node[i]!) / secs);
    return {
      rate: (b.d - a.d) / secs,
      serverCpu: perNodeCpu.reduce((x, y) => x + y, 0),
      perNodeCpu,
      redisCpu: s.redisPid ? (b.redis - a.redis) / secs : null,
      genCpu: (b.gen - a.gen) / secs,
      machineBusy: b.m.total > a.m.total ? (b.m.busy - a.m.busy) / (b.m.total - a.m.total) : 0,
      sent,
      expected,
      received: st.frames,
      lost: expected - st.frames,
      errors,
      firstError,
      unexpectedCloses: st.unexpectedCloses,
      framesPerRead: frames.map((f, i) => (reads[i]! > 0 ? f / reads[i]! : 0)),
    };
  } finally {
    http.close();
  }
}


export interface ClusterLatencyResult {
  /** Receivers on node B of publishes made on node A (all receivers for a one-process contestant: same node). */
  cross: LatencyStats | null;
  same: LatencyStats;
  sends: number;
  expected: number;
  received: number;
  badStamps: number;
  serverCpu: number;
  /** How long the servers' and the receivers' main threads waited for a core during the window (contention on the machine). */
  serverRunQueue: RunQueueWait;
  receiverRunQueue: RunQueueWait;
  /** Redis's main thread (cluster contestants, when Redis runs on this machine). */
  redisRunQueue: RunQueueWait | null;
}

/**
 * Publisher j (connected to node A) sends to `groups[j]` once a second, phases spread over the
 * second. `crossWorkers` are the pool workers whose receivers are on node B.
 */
export async function crossNodeLatency(o: { pool: WorkerPool; serverPids: number[]; redisPid?: number | undefined; ep: Endpoint; publishers: Publishers; groups: string[]; groupSize: number; warmMs: number; measureMs: number; crossWorkers: ReadonlySet<number> }): Promise<ClusterLatencyResult> {
  const { pool } = o;
  const G = o.groups.length;
  await pool.reset();
  await pool.all('latency', { on: true });
  const senders = new PacedSenders(o.ep.kind, o.publishers, o.groups);
  try {
    await sleep(o.warmMs);
    await pool.all('samples'); // drop the warm-up samples
    await pool.reset();
    senders.counting = true;
    const workerPids = pool.workers.map((w) => w.child.pid!);
    const q0 = o.serverPids.map(schedstat);
    const w0 = workerPids.map(schedstat);
    const r0 = o.redisPid ? [schedstat(o.redisPid)] : [];
    const c0 = sumCpu(o.serverPids);
    const t0 = performance.now();
    await sleep(o.measureMs);
    senders.stop();
    const secs = (performance.now() - t0) / 1000;
    const c1 = sumCpu(o.serverPids);
    const serverRunQueue = runQueueWait(o.serverPids, q0, secs);
    const receiverRunQueue = runQueueWait(workerPids, w0, secs);
    const redisRunQueue = o.redisPid ? runQueueWait([o.redisPid], r0, secs) : null;
    await sleep(1000); // let the last ones arrive
    const parts = await pool.all('samples');
    await pool.all('latency', { on: false });
    const st = await pool.stats();
    const cross: number[] = [];
    const same: number[] = [];
    let bad = 0;
    parts.forEach((p, w) => {
      const into = o.crossWorkers.has(w) ? cross : same;
      for (const v of p.samples as number[]) into.push(v);
      bad += p.badStamps as number;
    });
    return {
      cross: o.crossWorkers.size > 0 ? latencyStats(cross) : null,
      same: latencyStats(same),
      sends: senders.sends,
      expected: senders.sends * o.groupSize,
      received: st.frames,
      badStamps: bad,
      serverCpu: (c1 - c0) / secs,
      serverRunQueue,
      receiverRunQueue,
      redisRunQueue,
    };
  } finally {
    senders.stop();
  }
}
