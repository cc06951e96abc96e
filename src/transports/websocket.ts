/**
 * WebSocket transport: frames are written by us straight to the TCP socket (header + shared
 * pieces, or a turn's per-socket frames built into one buffer; corked once per turn), while `ws`
 * reads, answers pings and writes close frames.
 *
 * Writing beside `ws` is safe because `ws` only ever writes whole control frames, synchronously
 * (permessage-deflate is off, so its sender never queues): frames never interleave. Queued
 * frames are flushed before the close frame and dropped once the socket is closing.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { cancelFlush, scheduleFlush, type Flushable } from './batch.ts';
import { FrameQueue } from './frame-queue.ts';
import type { Outbound, OwnPrefix } from './outbound.ts';
import type { Transport, TransportEvents, TransportOptions } from './types.ts';
import { readSmallFramesDirectly } from './ws-small-frames.ts';

const OPEN = 1;

/** The transport a socket carries, for the listeners every socket shares. */
const TRANSPORT = Symbol('lapis.transport');
type TransportSocket = WebSocket & { [TRANSPORT]?: WebSocketTransport };

export class WebSocketTransport implements Transport, Flushable {
  readonly name = 'WebSockets' as const;
  readonly #ws: WebSocket;
  readonly #socket: Duplex;
  readonly #max: number;
  readonly #events: TransportEvents;
  readonly #queue = new FrameQueue();
  #ended = false;
  /** Whether the peer sent anything (a message, a pong) since the last heartbeat's ping. */
  #answered = true;
  /** No more sends: closing, terminated or overflowed (the end event may still be pending). */
  #stopped = false;
  /** The first protocol error `ws` reported, the cause given when the socket closes. */
  #protocolError: string | undefined = undefined;

  constructor(ws: WebSocket, options: TransportOptions, events: TransportEvents) {
    this.#ws = ws;
    // `ws` keeps the raw socket on `_socket` (stable since ws 1.x); it is how we pre-frame.
    this.#socket = (ws as unknown as { _socket: Duplex })._socket;
    this.#max = options.maxBufferedBytes;
    this.#events = events;
    // Listeners shared by every socket (found through the socket), not four closures per connection.
    (ws as TransportSocket)[TRANSPORT] = this;
    ws.on('message', WebSocketTransport.#onMessage);
    // Acks and other small client frames reach #onMessage without `ws`'s receiver loop.
    readSmallFramesDirectly(ws, WebSocketTransport.#onMessage);
    ws.on('pong', WebSocketTransport.#onPong);
    ws.on('error', WebSocketTransport.#onError);
    ws.on('close', WebSocketTransport.#onClose);
  }

  static readonly #onMessage = function (this: TransportSocket, data: Buffer, isBinary: boolean): void {
    const t = this[TRANSPORT]!;
    t.#answered = true;
    if (!t.#ended) t.#events.data(data, isBinary);
  };

  static readonly #onPong = function (this: TransportSocket): void {
    this[TRANSPORT]!.#answered = true;
  };

  /** `ws` reports framing errors, oversized messages (1009) and invalid UTF-8 (1007) here, then closes. */
  static readonly #onError = function (this: TransportSocket, err: Error): void {
    const t = this[TRANSPORT]!;
    t.#protocolError ??= err.message;
  };

  static readonly #onClose = function (this: TransportSocket, code: number): void {
    const t = this[TRANSPORT]!;
    t.#finish(t.#protocolError !== undefined ? { cause: 'protocol', message: t.#protocolError } : { cause: 'peer', code });
  };

  get open(): boolean {
    return !this.#stopped && this.#ws.readyState === OPEN;
  }

  get bufferedBytes(): number {
    return this.#queue.bytes + (this.#socket.writableLength ?? 0);
  }

  send(message: Outbound): void {
    if (!this.#admits()) return;
    // Queued pieces always have a flush scheduled (flush and drop empty the queue), so only the
    // first message of a turn schedules one: a fan-out of many messages adds each socket once.
    const first = this.#queue.empty;
    this.#queue.push(message.webSocketFrame());
    if (first) scheduleFlush(this);
  }

  /**
   * Writes one message at once instead of at the end of the turn: a connection's first message,
   * which then leaves in the same write as the handshake's (corked) 101 response. Anything queued
   * before it goes first.
   */
  sendNow(message: Outbound): void {
    if (!this.#queue.empty) {
      this.send(message);
      this.flush();
      return;
    }
    if (!this.#admits()) return;
    const s = this.#socket;
    if (this.#ws.readyState !== OPEN || s.destroyed || !s.writable) return;
    for (const piece of message.webSocketFrame()) s.write(piece);
  }

  /**
   * Queues one frame of this socket's own: `prefix`'s bytes for `arg` (a sequence id) in front of a
   * body shared with other sockets. It is built at the flush, with the rest of the turn's (`FrameQueue`).
   */
  sendOwnFrame(prefix: OwnPrefix, arg: number, body: Buffer): void {
    if (!this.#admits()) return;
    const first = this.#queue.empty;
    this.#queue.pushOwnFrame(prefix, arg, body);
    if (first) scheduleFlush(this);
  }

  /** Whether a message may be queued; a peer over its buffer limit is dropped here. */
  #admits(): boolean {
    if (!this.open) return false;
    if (!this.#queue.fits(this.#socket, this.#max)) {
      this.#overflow();
      return false;
    }
    return true;
  }

  flush(): void {
    cancelFlush(this);
    const s = this.#socket;
    this.#queue.writeTo(s, this.#ws.readyState === OPEN && !s.destroyed && s.writable);
  }

  /**
   * Keep-alive at the WebSocket level: a peer that neither answered the previous ping nor sent
   * anything since is cut; otherwise it is pinged again.
   */
  heartbeat(): void {
    if (!this.open) return;
    if (!this.#answered) {
      this.terminate();
      return;
    }
    this.#answered = false;
    this.#ws.ping();
  }

  /** Stops reading from the peer (TCP backpressure) until `resume`. */
  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  close(code = 1000, reason = ''): void {
    if (this.#stopped) return;
    this.flush();
    this.#stopped = true;
    try {
      this.#ws.close(code, reason);
    } catch {
      this.#ws.terminate();
    }
  }

  terminate(): void {
    this.#drop();
    this.#ws.terminate();
  }

  #overflow(): void {
    this.#drop();
    // Deferred so that a fan-out loop never sees membership change under it.
    queueMicrotask(() => {
      this.#finish({ cause: 'overflow' });
      this.#ws.terminate();
    });
  }

  #drop(): void {
    this.#stopped = true;
    this.#queue.clear();
    cancelFlush(this);
  }

  #finish(why: Parameters<TransportEvents['end']>[0]): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#drop();
    this.#events.end(why);
  }
}
