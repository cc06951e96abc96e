/**
 * Long-polling transport (ASP.NET Core's transport protocol): the client GETs to receive and
 * POSTs to send. The first poll answers at once (the client waits on it to start); later polls
 * are held until there is something to send or the poll timeout passes (then 200 with no body).
 * Once the transport has ended, a poll gets what is left, then 204: "this connection is over".
 * A client that stops polling for `inactivityTimeoutMs` is gone.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cancelFlush, scheduleFlush, type Flushable } from './batch.ts';
import type { Outbound } from './outbound.ts';
import type { Transport, TransportEnd, TransportEvents, TransportOptions } from './types.ts';

export interface LongPollingOptions extends TransportOptions {
  /** How long a poll is held when there is nothing to send (ASP.NET: 90 s; clients wait 100 s). */
  pollTimeoutMs: number;
  /** How long the client may go without a poll before its connection ends (ASP.NET: 5 s after a poll ends … we allow more). */
  inactivityTimeoutMs: number;
}

export type PollOutcome = 'held' | 'answered' | 'conflict';

export class LongPollingTransport implements Transport, Flushable {
  readonly name = 'LongPolling' as const;
  readonly #o: LongPollingOptions;
  readonly #events: TransportEvents;
  #queue: Buffer[] = [];
  #queued = 0;
  #binary = false;
  #polls = 0;
  #pending: { res: ServerResponse; timer: NodeJS.Timeout } | null = null;
  #idle: NodeJS.Timeout | null = null;
  #stopped = false;
  #ended = false;

  constructor(options: LongPollingOptions, events: TransportEvents) {
    this.#o = options;
    this.#events = events;
    this.#armIdle();
  }

  get open(): boolean {
    return !this.#stopped;
  }

  get bufferedBytes(): number {
    return this.#queued;
  }

  /** True once the transport has ended and nothing is left to hand out: the endpoint may forget it. */
  get drained(): boolean {
    return this.#ended && this.#queue.length === 0;
  }

  /** A POSTed send from the client. */
  receive(body: Buffer): void {
    if (this.#ended) return;
    this.#armIdle();
    this.#events.data(body, true); // a POST body has no frame type: raw bytes
  }

  /** A GET from the client. A second poll while one is held is a conflict (409). */
  poll(req: IncomingMessage, res: ServerResponse): PollOutcome {
    if (this.#pending) return 'conflict';
    this.#polls++;
    if (this.#ended || this.#stopped) {
      if (this.#queue.length > 0) this.#answer(res);
      else res.writeHead(204).end();
      return 'answered';
    }
    this.#disarmIdle();
    if (this.#polls === 1 || this.#queue.length > 0) {
      this.#answer(res);
      this.#armIdle();
      return 'answered';
    }
    const timer = setTimeout(() => this.#release(res, true), this.#o.pollTimeoutMs);
    timer.unref();
    this.#pending = { res, timer };
    // The client gave up on this poll (network cut, page closed): wait for the next one.
    req.socket.setTimeout(0);
    res.on('close', () => this.#release(res, false));
    return 'held';
  }

  send(message: Outbound): void {
    if (this.#stopped) return;
    if (this.#queued + message.length > this.#o.maxBufferedBytes) {
      this.#stopped = true;
      queueMicrotask(() => this.#finish({ cause: 'overflow' }, true));
      return;
    }
    for (const p of message.pieces) {
      this.#queue.push(p);
      this.#queued += p.length;
    }
    if (message.binary) this.#binary = true;
    if (this.#pending) scheduleFlush(this);
  }

  flush(): void {
    cancelFlush(this);
    const pending = this.#pending;
    if (!pending || this.#queue.length === 0) return;
    this.#release(pending.res, false);
    this.#answer(pending.res);
    this.#armIdle();
  }

  /** Ends the connection; queued messages (a Close message, say) still go out on the next poll. */
  close(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const pending = this.#pending;
    if (pending) {
      this.#release(pending.res, false);
      if (this.#queue.length > 0) this.#answer(pending.res);
      else pending.res.writeHead(204).end();
    }
    this.#finish({ cause: 'server' }, false);
  }

  terminate(): void {
    this.#stopped = true;
    this.#finish({ cause: 'server' }, true);
  }

  /** The client's DELETE: it is leaving. */
  remove(): void {
    this.#stopped = true;
    this.#finish({ cause: 'peer' }, true);
  }

  #answer(res: ServerResponse): void {
    const body = this.#queue.length === 1 ? this.#queue[0]! : Buffer.concat(this.#queue, this.#queued);
    const type = this.#binary ? 'application/octet-stream' : 'text/plain; charset=utf-8';
    this.#queue = [];
    this.#queued = 0;
    this.#binary = false;
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache' }).end(body);
  }

  /** Lets go of the held poll; on timeout it answers 200 with no body, as ASP.NET does. */
  #release(res: ServerResponse, timedOut: boolean): void {
    const pending = this.#pending;
    if (!pending || pending.res !== res) return;
    clearTimeout(pending.timer);
    this.#pending = null;
    if (timedOut && !res.writableEnded) res.writeHead(200, { 'content-length': 0 }).end();
    if (!this.#ended) this.#armIdle();
  }

  #armIdle(): void {
    this.#disarmIdle();
    if (this.#ended) return;
    this.#idle = setTimeout(() => this.#finish({ cause: 'peer' }, true), this.#o.inactivityTimeoutMs);
    this.#idle.unref();
  }

  #disarmIdle(): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
  }

  #finish(why: TransportEnd, dropQueue: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stopped = true;
    this.#disarmIdle();
    cancelFlush(this);
    if (dropQueue) {
      this.#queue = [];
      this.#queued = 0;
      const pending = this.#pending;
      if (pending) {
        this.#release(pending.res, false);
        if (!pending.res.writableEnded) pending.res.writeHead(204).end();
      }
    }
    this.#events.end(why);
  }
}
