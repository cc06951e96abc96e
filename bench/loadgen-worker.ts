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
import { Receivers, serveWorker, type Msg } from './lib/worker-ipc.ts';

type Receiver = RawWs | SseReceiver;

const counters = new Counters();
const receivers = new Receivers<Receiver>();
/** Keep-alive HTTP connections for SignalR negotiates and SSE POSTs (per connect, i.e. per server). */
let http: HttpClient | undefined;

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
    receivers.keepAlive();
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
        receivers.list.push(ws);
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

serveWorker({
  receivers,
  connect,
  connectFailed: (_m, err) => ({ ready: 0, failed: 1, errors: [err.message], ms: 0, ids: [] }),
  counted: () => counters.frames,
  stats: () => ({
    frames: counters.frames,
    bytes: counters.bytes,
    reads: counters.reads,
    minLen: Number.isFinite(counters.minLen) ? counters.minLen : 0,
    maxLen: counters.maxLen,
    unexpectedCloses: counters.unexpectedCloses,
  }),
  reset: () => counters.reset(),
  more: {
    latency: (m) => {
      counters.latency = m.on === true;
      return {};
    },
    samples: () => {
      const answer = { samples: counters.samples, badStamps: counters.badStamps };
      counters.samples = [];
      return answer;
    },
  },
  closed: () => {
    http?.close();
    http = undefined;
  },
});
