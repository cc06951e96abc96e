/**
 * One load-generator process (run on the load core). It holds a slice of the receivers, counts
 * what they receive and answers the orchestrator over IPC. Commands:
 *   connect {ep, from, to, groupSize, concurrency, localAddress, timeoutMs} → {ready, failed, errors, ms, ids}
 *     (SignalR receivers negotiate over HTTP first, then open WebSockets or Server-Sent Events with `id=`)
 *   reset → {}     stats → {frames, bytes, minLen, maxLen, unexpectedCloses, open}
 *   report {on, ms}: push {t:'c', frames} every `ms` while counts change (flow control)
 *   latency {on}: read send stamps     samples → {samples, badStamps}
 *   closeAll → {}
 */
import { isSignalR, receiverRequest, wireOf } from './lib/contestants.ts';
import type { ConnRequest, Endpoint, Wire } from './lib/contestants.ts';
import { HttpClient } from './lib/rawhttp.ts';
import { connectionPath, parseNegotiate } from './lib/signalr.ts';
import { SseReceiver } from './lib/sse-receiver.ts';
import { Counters, RawWs } from './lib/wsframe.ts';

interface Msg {
  rid?: number;
  cmd: string;
  [k: string]: unknown;
}

/** SignalR clients Ping every 10 s: the server drops a client silent for 30 s (the JS client pings every 15 s). */
const KEEP_ALIVE_MS = 10_000;

type Receiver = RawWs | SseReceiver;

const counters = new Counters();
let conns: Receiver[] = [];
let reportTimer: NodeJS.Timeout | undefined;
let lastReported = -1;
/** Keep-alive HTTP connections for SignalR negotiates and SSE POSTs (per connect, i.e. per server). */
let http: HttpClient | undefined;
let keepAliveTimer: NodeJS.Timeout | undefined;

/** Opens one receiver; for SignalR, negotiates first (the id and connection id come from the answer). */
async function open(ep: Endpoint, wire: Wire, r: ConnRequest, localAddress: string | undefined, timeoutMs: number): Promise<Receiver> {
  if (!r.signalr) return new RawWs({ port: ep.port, localAddress, path: r.path, protocol: r.protocol, wire, counters, timeoutMs });
  const answer = await http!.send(r.signalr.negotiate);
  const { connectionId, connectionToken } = parseNegotiate(answer.status, answer.body);
  const sep = { port: ep.port, origin: ep.origin!, key: ep.key! };
  const rec = wire === 'signalr-sse'
    ? new SseReceiver({ ep: sep, localAddress, connectionToken, token: r.signalr.token, http: http!, counters, timeoutMs })
    : new RawWs({ port: ep.port, localAddress, path: connectionPath(connectionToken), headers: `Authorization: Bearer ${r.signalr.token}\r\n`, wire, counters, timeoutMs });
  rec.connectionId = connectionId;
  return rec;
}

function reply(rid: number | undefined, body: Record<string, unknown>): void {
  process.send?.({ rid, ...body });
}

async function connect(m: Msg): Promise<Record<string, unknown>> {
  const ep = m.ep as Endpoint;
  const from = m.from as number;
  const to = m.to as number;
  const groupSize = m.groupSize as number;
  const concurrency = m.concurrency as number;
  const timeoutMs = m.timeoutMs as number;
  const localAddress = m.localAddress as string | undefined;
  const wire = wireOf(ep.kind);
  if (isSignalR(ep.kind)) {
    http ??= new HttpClient(ep.port, 4, localAddress, true);
    keepAliveTimer ??= setInterval(() => {
      for (const c of conns) c.keepAlive();
    }, KEEP_ALIVE_MS);
  }
  // Tokens are signed before the clock starts: only the server's work is timed.
  const requests: ConnRequest[] = [];
  for (let i = from; i < to; i++) requests.push(receiverRequest(ep, i, groupSize));
  const errors: string[] = [];
  let failed = 0;
  const ids: [number, string][] = [];
  let next = 0;
  const started = performance.now();
  const one = async (): Promise<void> => {
    while (next < requests.length) {
      const k = next++;
      const r = requests[k]!;
      try {
        const ws = await open(ep, wire, r, localAddress, timeoutMs);
        await ws.ready;
        conns.push(ws);
        if (ws.connectionId) ids.push([from + k, ws.connectionId]);
      } catch (err) {
        failed++;
        if (errors.length < 3) errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, one));
  return { ready: requests.length - failed, failed, errors, ms: performance.now() - started, ids };
}

process.on('message', (raw) => {
  const m = raw as Msg;
  switch (m.cmd) {
    case 'connect':
      connect(m).then((r) => reply(m.rid, r), (err: Error) => reply(m.rid, { ready: 0, failed: 1, errors: [err.message], ms: 0, ids: [] }));
      return;
    case 'reset':
      counters.reset();
      lastReported = -1;
      reply(m.rid, {});
      return;
    case 'stats':
      reply(m.rid, {
        frames: counters.frames,
        bytes: counters.bytes,
        reads: counters.reads,
        minLen: Number.isFinite(counters.minLen) ? counters.minLen : 0,
        maxLen: counters.maxLen,
        unexpectedCloses: counters.unexpectedCloses,
        open: conns.filter((c) => c.open).length,
      });
      return;
    case 'report':
      clearInterval(reportTimer);
      reportTimer = undefined;
      if (m.on) {
        reportTimer = setInterval(() => {
          if (counters.frames !== lastReported) {
            lastReported = counters.frames;
            process.send?.({ t: 'c', frames: counters.frames });
          }
        }, (m.ms as number) ?? 5);
      }
      reply(m.rid, {});
      return;
    case 'latency':
      counters.latency = m.on === true;
      reply(m.rid, {});
      return;
    case 'samples':
      reply(m.rid, { samples: counters.samples, badStamps: counters.badStamps });
      counters.samples = [];
      return;
    case 'closeAll':
      for (const c of conns) c.close();
      conns = [];
      clearInterval(keepAliveTimer);
      keepAliveTimer = undefined;
      http?.close();
      http = undefined;
      reply(m.rid, {});
      return;
  }
});

process.on('disconnect', () => process.exit(0));
