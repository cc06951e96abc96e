/**
 * Server-Sent Events transport: the server writes events on a held GET response; the client
 * sends with POSTs that the endpoint hands to `receive`. Text only (MessagePack cannot travel
 * here, which is why negotiate offers this transport with the Text format alone).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cancelFlush, scheduleFlush, type Flushable } from './batch.ts';
import { FrameQueue } from './frame-queue.ts';
import type { Outbound } from './outbound.ts';
import type { Transport, TransportEnd, TransportEvents, TransportOptions } from './types.ts';

export class SseTransport implements Transport, Flushable {
  readonly name = 'ServerSentEvents' as const;
  readonly #res: ServerResponse;
  readonly #max: number;
  readonly #events: TransportEvents;
  readonly #queue = new FrameQueue();
  #stopped = false;
  #ended = false;

  /** Takes over the GET: answers 200 with the event-stream headers at once. */
  constructor(req: IncomingMessage, res: ServerResponse, options: TransportOptions, events: TransportEvents) {
    this.#res = res;
    this.#max = options.maxBufferedBytes;
    this.#events = events;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no', // proxies must not hold events back
    });
    // An empty first line gets the headers out now; clients treat the stream as open from here.
    res.write(':\n\n');
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    res.on('close', () => this.#finish({ cause: 'peer' }));
  }

  get open(): boolean {
    return !this.#stopped && !this.#res.destroyed;
  }

  get bufferedBytes(): number {
    return this.#queue.bytes + this.#res.writableLength;
  }

  /** A POSTed send from the client. */
  receive(body: Buffer): void {
    if (!this.#ended) this.#events.data(body, true); // a POST body has no frame type: raw bytes
  }

  send(message: Outbound): void {
    if (!this.open) return;
    if (!this.#queue.fits(this.#res, this.#max)) {
      this.#stopped = true;
      this.#drop();
      queueMicrotask(() => {
        this.#finish({ cause: 'overflow' });
        this.#res.destroy();
      });
      return;
    }
    this.#queue.push(message.sseEvent());
    scheduleFlush(this);
  }

  flush(): void {
    cancelFlush(this);
    const res = this.#res;
    // One write per flush: Node's chunked response uncorks before writing what it buffered, so
    // corked pieces would each become a socket write of their own.
    this.#queue.writeTo(res, !res.destroyed && !res.writableEnded, true);
  }

  close(): void {
    if (this.#stopped) return;
    this.flush();
    this.#stopped = true;
    this.#res.end();
    this.#finish({ cause: 'server' });
  }

  terminate(): void {
    this.#stopped = true;
    this.#drop();
    this.#res.destroy();
    this.#finish({ cause: 'server' });
  }

  #drop(): void {
    this.#queue.clear();
    cancelFlush(this);
  }

  #finish(why: TransportEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stopped = true;
    this.#drop();
    this.#events.end(why);
  }
}
