/**
 * The receiver side of bench/lib/pool.ts's IPC protocol, shared by the load-generator processes:
 * the commands every worker answers the same way (reset, stats, report, closeAll), the receivers it
 * holds and their keep-alive timer. Each worker supplies how it connects and what it counts.
 */

export interface Msg {
  rid?: number;
  cmd: string;
  [k: string]: unknown;
}

export interface Receiver {
  readonly open: boolean;
  close(): void;
  keepAlive(): void;
}

/** Clients Ping every 10 s: the servers drop a SignalR client silent for 30 s (the JS client pings every 15 s). */
const KEEP_ALIVE_MS = 10_000;

/** The receivers of one worker process. */
export class Receivers<R extends Receiver> {
  list: R[] = [];
  #keepAlive: NodeJS.Timeout | undefined;

  /** Starts pinging every receiver (once; for protocols whose servers drop silent clients). */
  keepAlive(): void {
    this.#keepAlive ??= setInterval(() => {
      for (const c of this.list) c.keepAlive();
    }, KEEP_ALIVE_MS);
  }

  get openCount(): number {
    return this.list.filter((c) => c.open).length;
  }

  closeAll(): void {
    for (const c of this.list) c.close();
    this.list = [];
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }
}

export interface WorkerSide {
  receivers: Receivers<Receiver>;
  connect(m: Msg): Promise<Record<string, unknown>>;
  /** The answer to a connect that threw. */
  connectFailed(m: Msg, err: Error): Record<string, unknown>;
  /** Messages counted so far (what `report` pushes for flow control). */
  counted(): number;
  /** The `stats` answer, without `open` (added here). */
  stats(): Record<string, unknown>;
  reset(): void;
  /** Worker-specific commands. */
  more?: Record<string, (m: Msg) => Record<string, unknown> | Promise<Record<string, unknown>>>;
  /** Extra clean-up on closeAll. */
  closed?(): void;
}

function reply(rid: number | undefined, body: Record<string, unknown>): void {
  process.send?.({ rid, ...body });
}

/** Answers the orchestrator's commands until it disconnects. */
export function serveWorker(w: WorkerSide): void {
  let reportTimer: NodeJS.Timeout | undefined;
  let lastReported = -1;
  process.on('message', (raw) => {
    const m = raw as Msg;
    switch (m.cmd) {
      case 'connect':
        w.connect(m).then((r) => reply(m.rid, r), (err: Error) => reply(m.rid, w.connectFailed(m, err)));
        return;
      case 'reset':
        w.reset();
        lastReported = -1;
        reply(m.rid, {});
        return;
      case 'stats':
        reply(m.rid, { ...w.stats(), open: w.receivers.openCount });
        return;
      case 'report':
        clearInterval(reportTimer);
        reportTimer = undefined;
        if (m.on) {
          reportTimer = setInterval(() => {
            const n = w.counted();
            if (n !== lastReported) {
              lastReported = n;
              process.send?.({ t: 'c', frames: n });
            }
          }, (m.ms as number) ?? 5);
        }
        reply(m.rid, {});
        return;
      case 'closeAll':
        w.receivers.closeAll();
        w.closed?.();
        reply(m.rid, {});
        return;
      default: {
        const handler = w.more?.[m.cmd];
        if (!handler) return;
        Promise.resolve()
          .then(() => handler(m))
          .then((r) => reply(m.rid, r), (err: Error) => reply(m.rid, { error: err.message }));
      }
    }
  });
  process.on('disconnect', () => process.exit(0));
}
