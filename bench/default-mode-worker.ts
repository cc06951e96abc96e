/**
 * One receiver process of the default-mode row (run on the load core): connects SignalR JSON
 * WebSocket clients through an ASP.NET Core app exactly as @microsoft/signalr does — negotiate with
 * the app; when the app answers with a redirect (Azure SignalR default mode), negotiate again with
 * the service using the access token it gave, then open the WebSocket there — and counts the hub
 * records they receive. Speaks the IPC protocol of bench/lib/pool.ts:
 *   connect {appUrl, hubPath, count, concurrency, localAddress, timeoutMs} → {ready, failed, errors, ms}
 *   reset → {}     stats → {frames (= records), bytes, reads, unexpectedCloses, open}
 *   report {on, ms}: push {t:'c', frames} every `ms` while the count changes (flow control)
 *   closeAll → {}
 */
import { openDefaultModeClient } from './lib/default-mode-client.ts';
import { RecordCounters } from './lib/record-receiver.ts';
import type { RecordWs } from './lib/record-receiver.ts';
import { Receivers, serveWorker, type Msg } from './lib/worker-ipc.ts';

const counters = new RecordCounters();
const receivers = new Receivers<RecordWs>();

async function connect(m: Msg): Promise<Record<string, unknown>> {
  const count = m.count as number;
  const errors: string[] = [];
  let failed = 0;
  let left = count;
  receivers.keepAlive();
  const started = performance.now();
  const one = async (): Promise<void> => {
    while (left > 0) {
      left--;
      try {
        receivers.list.push(await openDefaultModeClient({ appUrl: m.appUrl as string, hubPath: m.hubPath as string, counters, localAddress: m.localAddress as string | undefined, timeoutMs: m.timeoutMs as number }));
      } catch (err) {
        failed++;
        if (errors.length < 3) errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, m.concurrency as number) }, one));
  return { ready: count - failed, failed, errors, ms: performance.now() - started };
}

serveWorker({
  receivers,
  connect,
  connectFailed: (m, err) => ({ ready: 0, failed: m.count, errors: [err.message], ms: 0 }),
  counted: () => counters.records,
  stats: () => ({ frames: counters.records, bytes: counters.bytes, reads: counters.reads, minLen: 0, maxLen: 0, unexpectedCloses: counters.unexpectedCloses }),
  reset: () => counters.reset(),
});
