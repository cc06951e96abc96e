/**
 * The default-mode row's two measurements, the same for both contestants:
 * - echo: a few official @microsoft/signalr clients (JSON, WebSockets) each invoke the hub's `Echo`
 *   sequentially; the client-side round trip of every call is a sample (p50/p90/p99).
 * - broadcast: K raw receivers (bench/default-mode-worker.ts) count the hub records they get while
 *   one sender invokes `Broadcast` (Clients.All) without waiting for completions, closed-loop on
 *   deliveries: at most `window` deliveries outstanding (sent × K − counted), so each contestant
 *   runs at its own saturation point without unbounded queues; a drain checks nothing was lost.
 */
import { HttpTransportType, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import type { HubConnection } from '@microsoft/signalr';
import { payloadOf } from './lib/contestants.ts';
import { openDefaultModeClient } from './lib/default-mode-client.ts';
import { HUB_PATH } from './lib/default-mode-servers.ts';
import type { DmRunning } from './lib/default-mode-servers.ts';
import type { WorkerPool } from './lib/pool.ts';
import { coreTimes, cpuSeconds, sleep } from './lib/proc.ts';
import { RecordCounters } from './lib/record-receiver.ts';
import { runQueueWaitSeconds } from './lib/schedstat.ts';
import { maskedFrame, OP_TEXT } from './lib/ws-client-frame.ts';
import { freshSourceAddresses } from './lib/local-address.ts';

export interface EchoResult {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  samples: number;
  /** Completed calls per second over the recorded part (all clients together). */
  callsPerSecond: number;
  /** CPU of the service process (Kestrel's app, or Lapis) and of the app server in Lapis mode, in cores. */
  serviceCpu: number;
  appCpu?: number;
  /** The same as CPU time per call, in µs: what each process spends on one echo. */
  serviceCpuUsPerCall: number;
  appCpuUsPerCall?: number;
  /** Time per call the process's threads were runnable but waited for a CPU (other processes had it), in µs. */
  serviceWaitUsPerCall: number;
  appWaitUsPerCall?: number;
}

export interface BroadcastResult {
  /** Hub records counted at the receivers per second during the measurement window. */
  rate: number;
  serviceCpu: number;
  appCpu?: number;
  sent: number;
  expected: number;
  received: number;
  lost: number;
  unexpectedCloses: number;
  /** Records per socket read at the receivers (how much the server batches per write). */
  recordsPerRead: number;
  /** How busy the load core was (0–1, whoever used it): near 1, the clients limited the rate. */
  loadCoreBusy: number;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

function cpuOf(srv: DmRunning): { service: number; app: number; serviceWait: number; appWait: number } {
  return {
    service: cpuSeconds(srv.servicePid),
    app: srv.appPid ? cpuSeconds(srv.appPid) : 0,
    serviceWait: runQueueWaitSeconds(srv.servicePid),
    appWait: srv.appPid ? runQueueWaitSeconds(srv.appPid) : 0,
  };
}

/** `clients` connections, each `warm` unrecorded calls then `calls` recorded ones, all clients at once. */
export async function echoRun(srv: DmRunning, o: { clients: number; warm: number; calls: number; size: number }): Promise<EchoResult> {
  const conns: HubConnection[] = [];
  try {
    for (let i = 0; i < o.clients; i++) {
      const c = new HubConnectionBuilder()
        .withUrl(`${srv.appUrl}${HUB_PATH}`, { transport: HttpTransportType.WebSockets })
        .configureLogging(LogLevel.None)
        .build();
      await c.start();
      conns.push(c);
    }
    const payload = payloadOf(o.size);
    const samples: number[] = [];
    let t0 = 0;
    let c0 = cpuOf(srv);
    const one = async (c: HubConnection, warmDone: Promise<void>, markWarm: () => void): Promise<void> => {
      for (let k = 0; k < o.warm; k++) await c.invoke('Echo', payload);
      markWarm();
      await warmDone;
      for (let k = 0; k < o.calls; k++) {
        const s = performance.now();
        const back = (await c.invoke('Echo', payload)) as string;
        samples.push(performance.now() - s);
        if (back !== payload) throw new Error('Echo returned something other than its argument');
      }
    };
    // Every client finishes its warm-up before any records, so the recorded calls overlap as intended.
    let warmed = 0;
    let release!: () => void;
    const warmDone = new Promise<void>((r) => {
      release = r;
    }).then(() => {
      t0 = performance.now();
      c0 = cpuOf(srv);
    });
    const markWarm = () => {
      if (++warmed === conns.length) release();
    };
    await Promise.all(conns.map((c) => one(c, warmDone, markWarm)));
    const secs = (performance.now() - t0) / 1000;
    const c1 = cpuOf(srv);
    const sorted = samples.sort((a, b) => a - b);
    const perCall = (cpuS: number) => (cpuS / sorted.length) * 1e6;
    return {
      p50Ms: quantile(sorted, 0.5),
      p90Ms: quantile(sorted, 0.9),
      p99Ms: quantile(sorted, 0.99),
      meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      samples: sorted.length,
      callsPerSecond: sorted.length / secs,
      serviceCpuUsPerCall: perCall(c1.service - c0.service),
      appCpuUsPerCall: srv.appPid ? perCall(c1.app - c0.app) : undefined,
      serviceWaitUsPerCall: perCall(c1.serviceWait - c0.serviceWait),
      appWaitUsPerCall: srv.appPid ? perCall(c1.appWait - c0.appWait) : undefined,
      serviceCpu: (c1.service - c0.service) / secs,
      appCpu: srv.appPid ? (c1.app - c0.app) / secs : undefined,
    };
  } finally {
    await Promise.all(conns.map((c) => c.stop().catch(() => {})));
  }
}

/** Connects `receivers` raw clients across the pool's workers; throws if any fails. */
export async function connectReceivers(pool: WorkerPool, srv: DmRunning, receivers: number): Promise<void> {
  const per = Math.ceil(receivers / pool.workers.length);
  const sources = freshSourceAddresses();
  const replies = await Promise.all(pool.workers.map((w, i) => w.call('connect', {
    appUrl: srv.appUrl,
    hubPath: HUB_PATH,
    count: Math.max(0, Math.min(per, receivers - i * per)),
    concurrency: 16,
    localAddress: sources.of(10 + i),
    timeoutMs: 30_000,
  })));
  const failed = replies.reduce((a, r) => a + (r.failed as number), 0);
  if (failed > 0) throw new Error(`${failed} of ${receivers} receivers failed: ${replies.flatMap((r) => r.errors as string[]).slice(0, 2).join(' / ')}`);
}

/** One Broadcast invocation (non-blocking: no invocation id, so no completion comes back). */
function broadcastFrame(size: number): Buffer {
  return maskedFrame(OP_TEXT, Buffer.from(`${JSON.stringify({ type: 1, target: 'Broadcast', arguments: [payloadOf(size)] })}\u001e`));
}

export async function broadcastFlow(pool: WorkerPool, srv: DmRunning, o: { receivers: number; senders: number; size: number; window: number; warmMs: number; measureMs: number; drainMs: number; loadCore: number }): Promise<BroadcastResult> {
  // Senders are clients of the hub too (Clients.All reaches them); they count on counters of their own.
  // Several of them, taking turns: a hub runs one client's invocations one after another, so a
  // single sender would measure the latency of that chain rather than the server's fan-out.
  const senders = await Promise.all(Array.from({ length: o.senders }, () =>
    openDefaultModeClient({ appUrl: srv.appUrl, hubPath: HUB_PATH, counters: new RecordCounters(), localAddress: '127.0.0.19', timeoutMs: 30_000 })));
  const frame = broadcastFrame(o.size);
  const fanout = o.receivers;
  let sent = 0;
  let stopped = false;
  try {
    await pool.reset();
    await pool.all('report', { on: true, ms: 4 });
    const pump = () => {
      if (stopped) return;
      for (const s of senders) s.socket.cork();
      while (!stopped && sent * fanout - pool.frames < o.window) {
        senders[sent % senders.length]!.send(frame);
        sent++;
      }
      for (const s of senders) s.socket.uncork();
    };
    pool.onCount = pump;
    const safety = setInterval(pump, 2);
    pump();
    await sleep(o.warmMs);
    const d0 = pool.frames;
    const t0 = performance.now();
    const c0 = cpuOf(srv);
    const k0 = coreTimes(o.loadCore);
    await sleep(o.measureMs);
    const d1 = pool.frames;
    const t1 = performance.now();
    const c1 = cpuOf(srv);
    const k1 = coreTimes(o.loadCore);
    stopped = true;
    clearInterval(safety);
    pool.onCount = () => {};
    const expected = sent * fanout;
    const st = await pool.drain(expected, o.drainMs);
    const secs = (t1 - t0) / 1000;
    return {
      rate: (d1 - d0) / secs,
      serviceCpu: (c1.service - c0.service) / secs,
      appCpu: srv.appPid ? (c1.app - c0.app) / secs : undefined,
      sent,
      expected,
      received: st.frames,
      lost: expected - st.frames,
      unexpectedCloses: st.unexpectedCloses,
      recordsPerRead: st.reads > 0 ? st.frames / st.reads : 0,
      loadCoreBusy: k1.total > k0.total ? (k1.busy - k0.busy) / (k1.total - k0.total) : 0,
    };
  } finally {
    stopped = true;
    for (const s of senders) s.close();
  }
}
