/**
 * Batched, bounded writes of pre-built frames straight to a WebSocket's TCP socket.
 *
 * - Batched: frames queued during one turn of the event loop are written in one corked burst
 *   (one writev) by a single shared `setImmediate`, not one syscall per frame.
 * - Bounded: when a peer does not read, the kernel stops taking its bytes and Node's buffer for
 *   that socket grows; past `maxBufferedBytes` the writer reports an overflow (the session then
 *   drops that peer). Other peers never wait: nothing here blocks or awaits.
 * - Safe with `ws`: `ws` itself only writes whole control frames (ping/pong/close) synchronously
 *   (permessage-deflate is off, so its sender never queues), so frames never interleave. Queued
 *   frames are flushed before `ws` writes a close frame, and dropped once the socket is closing.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

const dirty = new Set<FrameWriter>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const writers = [...dirty];
  dirty.clear();
  for (const w of writers) w.flush();
}

export class FrameWriter {
  readonly #ws: WebSocket;
  readonly #socket: Duplex;
  readonly #max: number;
  readonly #onOverflow: () => void;
  #queue: Buffer[] = [];
  #queued = 0;
  #overflowed = false;

  constructor(ws: WebSocket, maxBufferedBytes: number, onOverflow: () => void) {
    this.#ws = ws;
    // `ws` keeps the raw socket on `_socket`; it is the documented-by-source way to pre-frame.
    this.#socket = (ws as unknown as { _socket: Duplex })._socket;
    this.#max = maxBufferedBytes;
    this.#onOverflow = onOverflow;
  }

  /** Bytes not yet handed to the kernel (our queue plus Node's socket buffer). */
  get bufferedBytes(): number {
    return this.#queued + (this.#socket.writableLength ?? 0);
  }

  write(pieces: readonly Buffer[]): void {
    if (this.#overflowed || this.#ws.readyState !== 1) return;
    // Slowness is measured by what the kernel has not accepted yet (Node's socket buffer), not by
    // what this tick queued: a burst is fine for a reader, a backlog is not. The queue itself is
    // capped too, so one huge burst cannot grow memory without bound.
    if ((this.#socket.writableLength ?? 0) > this.#max || this.#queued > 4 * this.#max) {
      this.#overflowed = true;
      this.#queue = [];
      this.#queued = 0;
      dirty.delete(this);
      // Deferred so that a fan-out loop never sees membership change under it.
      queueMicrotask(this.#onOverflow);
      return;
    }
    for (const p of pieces) {
      this.#queue.push(p);
      this.#queued += p.length;
    }
    dirty.add(this);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushAll);
    }
  }

  flush(): void {
    dirty.delete(this);
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    this.#queued = 0;
    const s = this.#socket;
    if (this.#ws.readyState !== 1 || s.destroyed || !s.writable) return;
    s.cork();
    for (const b of queue) s.write(b);
    s.uncork();
  }
}
