/**
 * One load-generator process of the reconnect-storm row (bench/storm.ts), on the load core. It holds
 * a slice of the clients (bench/lib/storm-client.ts) and answers the orchestrator over IPC:
 *   connect {ep, kind, from, to, concurrency, localAddress, timeoutMs} → {ready, failed, errors, ms}
 *   storm {timeoutMs, windowMs} → every client's socket is destroyed at once, then every client
 *     reconnects at once asking to resume its session, retrying a failed attempt after 0.5–1.5 s
 *     until `windowMs`; → {recovered, fresh, unreachable, failedAttempts, errors, doneMs[]}
 *   stats → {frames (= messages received), open}     reset, report, closeAll as in worker-ipc
 */
import { receiverRequest } from './lib/contestants.ts';
import type { Endpoint } from './lib/contestants.ts';
import { StormClient, type StormKind } from './lib/storm-client.ts';
import { Receivers, serveWorker, type Msg } from './lib/worker-ipc.ts';

const receivers = new Receivers<StormClient & { keepAlive(): void }>();
let base = 0;

const total = () => receivers.list.reduce((n, c) => n + c.received, 0);

async function connect(m: Msg): Promise<Record<string, unknown>> {
  const ep = m.ep as Endpoint;
  const kind = m.kind as StormKind;
  const from = m.from as number;
  const to = m.to as number;
  const errors: string[] = [];
  let failed = 0;
  let next = from;
  const started = performance.now();
  const one = async (): Promise<void> => {
    while (next < to) {
      const i = next++;
      const client = Object.assign(new StormClient(kind, `ws://127.0.0.1:${ep.port}${receiverRequest(ep, i, 10).path}`, m.localAddress as string | undefined), { keepAlive() {} });
      try {
        await client.connect(m.timeoutMs as number);
        receivers.list.push(client);
      } catch (err) {
        failed++;
        if (errors.length < 3) errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, m.concurrency as number) }, one));
  return { ready: to - from - failed, failed, errors, ms: performance.now() - started };
}

async function storm(m: Msg): Promise<Record<string, unknown>> {
  const timeoutMs = m.timeoutMs as number;
  const windowMs = m.windowMs as number;
  const clients = receivers.list;
  const started = performance.now();
  for (const c of clients) c.drop();
  let recovered = 0;
  let fresh = 0;
  let unreachable = 0;
  let failedAttempts = 0;
  const errors: string[] = [];
  const doneMs: number[] = [];
  await Promise.all(clients.map(async (c) => {
    // A refused resume (Lapis: `disconnected` + 1008) makes the client start a new session, as the SDK does.
    let resume = true;
    for (;;) {
      try {
        const a = resume ? await c.recover(timeoutMs) : await c.connect(timeoutMs);
        if (a.recovered) recovered++;
        else fresh++;
        doneMs.push(performance.now() - started);
        return;
      } catch (err) {
        failedAttempts++;
        if (errors.length < 3) errors.push((err as Error).message);
        if ((err as Error).message.startsWith('disconnected')) resume = false;
        if (performance.now() - started > windowMs) {
          unreachable++;
          return;
        }
        await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000));
      }
    }
  }));
  return { recovered, fresh, unreachable, failedAttempts, errors, doneMs };
}

serveWorker({
  receivers,
  connect,
  connectFailed: (m, err) => ({ ready: 0, failed: (m.to as number) - (m.from as number), errors: [err.message], ms: 0 }),
  counted: () => total() - base,
  stats: () => ({ frames: total() - base, bytes: 0, reads: 0, minLen: 0, maxLen: 0, unexpectedCloses: 0 }),
  reset: () => {
    base = total();
  },
  more: { storm },
});
