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

interface Msg {
  rid?: number;
  cmd: string;
  [k: string]: unknown;
}

/** Clients Ping every 10 s (both servers drop a client silent for 30 s). */
const KEEP_ALIVE_MS = 10_000;

const counters = new RecordCounters();
let conns: RecordWs[] = [];
let reportTimer: NodeJS.Timeout | undefined;
let keepAliveTimer: NodeJS.Timeout | undefined;
let lastReported = -1;

async function connect(m: Msg): Promise<Record<string, unknown>> {
  const count = m.count as number;
  const errors: string[] = [];
  let failed = 0;
  let left = count;
  keepAliveTimer ??= setInterval(() => {
    for (const c of conns) c.keepAlive();
  }, KEEP_ALIVE_MS);
  const started = performance.now();
  const one = async (): Promise<void> => {
    while (left > 0) {
      left--;
      try {
        conns.push(await openDefaultModeClient({ appUrl: m.appUrl as string, hubPath: m.hubPath as string, counters, localAddress: m.localAddress as string | undefined, timeoutMs: m.timeoutMs as number }));
      } catch (err) {
        failed++;
        if (errors.length < 3) errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, m.concurrency as number) }, one));
  return { ready: count - failed, failed, errors, ms: performance.now() - started };
}

function reply(rid: number | undefined, body: Record<string, unknown>): void {
  process.send?.({ rid, ...body });
}

process.on('message', (raw) => {
  const m = raw as Msg;
  switch (m.cmd) {
    case 'connect':
      connect(m).then((r) => reply(m.rid, r), (err: Error) => reply(m.rid, { ready: 0, failed: m.count, errors: [err.message], ms: 0 }));
      return;
    case 'reset':
      counters.reset();
      lastReported = -1;
      reply(m.rid, {});
      return;
    case 'stats':
      reply(m.rid, {
        frames: counters.records,
        bytes: counters.bytes,
        reads: counters.reads,
        minLen: 0,
        maxLen: 0,
        unexpectedCloses: counters.unexpectedCloses,
        open: conns.filter((c) => c.open).length,
      });
      return;
    case 'report':
      clearInterval(reportTimer);
      reportTimer = undefined;
      if (m.on) {
        reportTimer = setInterval(() => {
          if (counters.records !== lastReported) {
            lastReported = counters.records;
            process.send?.({ t: 'c', frames: counters.records });
          }
        }, (m.ms as number) ?? 5);
      }
      reply(m.rid, {});
      return;
    case 'closeAll':
      for (const c of conns) c.close();
      conns = [];
      clearInterval(keepAliveTimer);
      keepAliveTimer = undefined;
      reply(m.rid, {});
      return;
  }
});

process.on('disconnect', () => process.exit(0));
