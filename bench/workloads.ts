/**
 * The measurements. Throughput workloads are closed-loop on *deliveries*: the publisher keeps at
 * most `window` deliveries outstanding (sent × fan-out − counted at the receivers), so every
 * contestant runs at its own saturation point without unbounded queues, and the final count after
 * a drain tells whether anything was lost.
 */
import { payloadOf, publishFrame, publisherRequest, sendRequest, wireOf } from './lib/contestants.ts';
import type { Endpoint, SendTarget } from './lib/contestants.ts';
import type { WorkerPool } from './lib/pool.ts';
import { coreTimes, cpuSeconds, sleep } from './lib/proc.ts';
import { HttpClient } from './lib/rawhttp.ts';
import { latencyStats, PacedSenders } from './lib/paced-senders.ts';
import { addToGroupRequest } from './lib/signalr.ts';
import { Counters, RawWs } from './lib/wsframe.ts';

export const LOAD_CORE = 1;
export { identityRate, rbacRate } from './identity-workloads.ts';
export type { RateResult } from './identity-workloads.ts';
/**
 * Source address of the publishers and REST callers: set per session (bench/throughput.ts) to the
 * `.9` of the session's fresh address block, so that no session binds new sockets to an address
 * whose ports earlier sessions left in TIME_WAIT (bench/lib/local-address.ts).
 */
let publisherAddress = '127.0.0.9';
export function usePublisherAddress(address: string): void {
  publisherAddress = address;
}

export interface FlowResult {
  /** Deliveries per second counted at the receivers during the measurement window. */
  rate: number;
  /** Server CPU use during the window, in cores (1.0 = one core busy). */
  serverCpu: number;
  /** Load-core use during the window (0–1), whoever used it. */
  loadCpu: number;
  /** CPU used by the load generators themselves (workers + orchestrator), in cores. */
  genCpu: number;
  sent: number;
  expected: number;
  received: number;
  lost: number;
  bytes: number;
  /** Data frames per socket read at the receivers (how much the server batches per write). */
  framesPerRead: number;
  frameLen: [number, number];
  errors: number;
  firstError?: string;
  unexpectedCloses: number;
}

export interface Timing {
  warmMs: number;
  measureMs: number;
  drainMs: number;
  /**
   * The warm-up of a session's later flows, once the process has run one (its code is compiled,
   * its buffers grown; the closed loop refills in tens of ms). Default: `warmMs`.
   */
  warmNextMs?: number;
}

interface FlowSpec {
  pool: WorkerPool;
  pid: number;
  fanout: number;
  window: number;
  timing: Timing;
  /** Sends one publish; `fail` records a refused request. */
  publish(fail: (why: string) => void): void;
  /** Requests not answered yet (HTTP publishers), bounded by `maxInFlight`. */
  inFlight(): number;
  maxInFlight: number;
  batch(fn: () => void): void;
}

function genSeconds(pool: WorkerPool): number {
  let t = cpuSeconds(process.pid);
  for (const w of pool.workers) t += cpuSeconds(w.child.pid!);
  return t;
}

async function flow(s: FlowSpec): Promise<FlowResult> {
  const { pool, fanout, window } = s;
  await pool.reset();
  await pool.all('report', { on: true, ms: 4 });
  let sent = 0;
  let stopped = false;
  let errors = 0;
  let firstError: string | undefined;
  const fail = (why: string) => {
    errors++;
    firstError ??= why;
  };
  const pump = () => {
    if (stopped) return;
    s.batch(() => {
      while (!stopped && sent * fanout - pool.frames < window && s.inFlight() < s.maxInFlight && errors === 0) {
        s.publish(fail);
        sent++;
      }
    });
  };
  pool.onCount = pump;
  const safety = setInterval(pump, 2);
  pump();
  await sleep(s.timing.warmMs);
  const d0 = pool.frames;
  const t0 = performance.now();
  const c0 = cpuSeconds(s.pid);
  const k0 = coreTimes(LOAD_CORE);
  const g0 = genSeconds(pool);
  await sleep(s.timing.measureMs);
  const d1 = pool.frames;
  const t1 = performance.now();
  const c1 = cpuSeconds(s.pid);
  const k1 = coreTimes(LOAD_CORE);
  const g1 = genSeconds(pool);
  stopped = true;
  clearInterval(safety);
  pool.onCount = () => {};
  const expected = sent * fanout;
  const st = await pool.drain(expected, s.timing.drainMs);
  const secs = (t1 - t0) / 1000;
  return {
    rate: (d1 - d0) / secs,
    serverCpu: (c1 - c0) / secs,
    loadCpu: k1.total > k0.total ? (k1.busy - k0.busy) / (k1.total - k0.total) : 0,
    genCpu: (g1 - g0) / secs,
    sent,
    expected,
    received: st.frames,
    lost: expected - st.frames,
    bytes: st.bytes,
    framesPerRead: st.reads > 0 ? st.frames / st.reads : 0,
    frameLen: [st.minLen, st.maxLen],
    errors,
    firstError,
    unexpectedCloses: st.unexpectedCloses,
  };
}

/** Server-side sends (REST for Lapis, POST for the peers) over pipelined keep-alive sockets. */
export async function restFlow(o: { pool: WorkerPool; pid: number; ep: Endpoint; requests: Buffer[]; fanout: number; window: number; maxInFlight: number; timing: Timing }): Promise<FlowResult> {
  const http = new HttpClient(o.ep.port, 8, publisherAddress);
  let k = 0;
  try {
    return await flow({
      pool: o.pool,
      pid: o.pid,
      fanout: o.fanout,
      window: o.window,
      timing: o.timing,
      maxInFlight: o.maxInFlight,
      inFlight: () => http.inFlight,
      batch: (fn) => fn(),
      publish: (fail) => {
        const req = o.requests[k++ % o.requests.length]!;
        http.request(req, (status, body) => {
          if (status < 200 || status >= 300) fail(`HTTP ${status} ${body.slice(0, 300)}`);
        });
      },
    });
  } finally {
    http.close();
  }
}

/** Adds SignalR connections to a group over REST (pipelined, a few hundred in flight), as an app server would. */
export async function signalrJoinGroup(ep: Endpoint, connectionIds: string[], group: string): Promise<void> {
  const sep = { port: ep.port, origin: ep.origin!, key: ep.key! };
  const requests = connectionIds.map((id) => addToGroupRequest(sep, group, id));
  const http = new HttpClient(ep.port, 8, publisherAddress);
  try {
    let next = 0;
    const failures: string[] = [];
    const one = async () => {
      while (next < requests.length) {
        const r = await http.send(requests[next++]!);
        if (r.status < 200 || r.status >= 300) failures.push(`HTTP ${r.status} ${r.body.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: 256 }, one));
    if (failures.length > 0) throw new Error(`${failures.length} of ${requests.length} group additions failed: ${failures[0]}`);
  } finally {
    http.close();
  }
}

/** Publisher connections held by the orchestrator (on the load core). */
export class Publishers {
  readonly conns: RawWs[] = [];
  readonly counters = new Counters();

  static async open(ep: Endpoint, groups: string[]): Promise<Publishers> {
    const p = new Publishers();
    let next = 0;
    const errors: string[] = [];
    const one = async () => {
      while (next < groups.length) {
        const j = next++;
        const r = publisherRequest(ep, j, groups[j]!);
        const ws = new RawWs({ port: ep.port, localAddress: publisherAddress, path: r.path, protocol: r.protocol, wire: wireOf(ep.kind), counters: p.counters, timeoutMs: 20_000 });
        p.conns[j] = ws;
        await ws.ready.catch((err: Error) => errors.push(err.message));
      }
    };
    await Promise.all(Array.from({ length: 32 }, one));
    if (errors.length > 0) {
      p.close();
      throw new Error(`${errors.length} publisher connection(s) failed: ${errors[0]}`);
    }
    return p;
  }

  close(): void {
    for (const c of this.conns) c?.close();
  }
}

/** Client-published group messages: publisher j publishes to `groups[j]`, round robin. */
export async function publishFlow(o: { pool: WorkerPool; pid: number; ep: Endpoint; conns: RawWs[]; groups: string[]; size: number; fanout: number; window: number; timing: Timing }): Promise<FlowResult> {
  const payload = payloadOf(o.size);
  const frames = o.groups.map((g) => publishFrame(o.ep.kind, g, payload));
  let k = 0;
  const conns = o.conns;
  return flow({
    pool: o.pool,
    pid: o.pid,
    fanout: o.fanout,
    window: o.window,
    timing: o.timing,
    maxInFlight: Number.POSITIVE_INFINITY,
    inFlight: () => 0,
    batch: (fn) => {
      for (const c of conns) c.socket.cork();
      fn();
      for (const c of conns) c.socket.uncork();
    },
    publish: (fail) => {
      const j = k++ % frames.length;
      const c = conns[j]!;
      if (!c.open) fail('a publisher connection was closed by the server');
      c.send(frames[j]!);
    },
  });
}

export interface LatencyResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
  sends: number;
  expected: number;
  received: number;
  badStamps: number;
  serverCpu: number;
}

/**
 * Azure's rule: 2 KB messages, 1 message per second per sender. One sender per group of
 * `groupSize` receivers, the senders' phases spread evenly over the second.
 */
export async function latencyRun(o: { pool: WorkerPool; pid: number; ep: Endpoint; publishers: { conns: RawWs[] }; groups: string[]; groupSize: number; warmMs: number; measureMs: number; tailMs?: number }): Promise<LatencyResult> {
  const { pool } = o;
  const G = o.groups.length;
  await pool.reset();
  await pool.all('latency', { on: true });
  const senders = new PacedSenders(o.ep.kind, o.publishers, o.groups);
  await sleep(o.warmMs);
  await pool.all('samples'); // drop warm-up samples
  await pool.reset();
  senders.counting = true;
  const c0 = cpuSeconds(o.pid);
  const t0 = performance.now();
  await sleep(o.measureMs);
  senders.stop();
  const c1 = cpuSeconds(o.pid);
  const secs = (performance.now() - t0) / 1000;
  await sleep(o.tailMs ?? 1000); // let the last ones arrive
  const parts = await pool.all('samples');
  await pool.all('latency', { on: false });
  const st = await pool.stats();
  const all: number[] = [];
  let bad = 0;
  for (const p of parts) {
    for (const v of p.samples as number[]) all.push(v);
    bad += p.badStamps as number;
  }
  return {
    ...latencyStats(all),
    sends: senders.sends,
    expected: senders.sends * o.groupSize,
    received: st.frames,
    badStamps: bad,
    serverCpu: (c1 - c0) / secs,
  };
}

/** Builds the per-target request list for unicast workloads (one pre-signed request per target). */
export function unicastRequests(ep: Endpoint, targets: SendTarget[], size: number): Buffer[] {
  const body = Buffer.from(payloadOf(size));
  return targets.map((t) => sendRequest(ep, t, body));
}
