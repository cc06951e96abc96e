/**
 * A transport's outbound frames queued during a turn, written at the end of it (WebSocket and SSE;
 * SSE queues shared pieces only). Two kinds:
 * - shared pieces (`push`): a message's cached frame, the same buffers for every socket, written
 *   by reference;
 * - per-socket frames (`pushOwnFrame`): a few bytes of the socket's own (a reliable sequence id)
 *   in front of a body every socket shares, queued as (prefix, arg, body) and built only at the
 *   flush, all of the turn's into ONE buffer: their WebSocket headers and own bytes, and the
 *   bodies too when they are small (copying a small body costs less than writing it as a piece
 *   of its own). A turn's 16 reliable 100-byte messages then leave as one buffer in one
 *   `write`, where a plain socket writes 32 pieces (header and shared body each), and a fan-out
 *   allocates nothing per socket and message.
 * Larger bodies are written by reference between the copied runs (pieces as a plain frame's).
 */
import type { OwnPrefix } from './outbound.ts';
import { frameHeaderLength, OPCODE_BINARY, OPCODE_TEXT, writeFrameHeaderAt } from './ws-frame.ts';

/**
 * Bodies up to this size are copied into the flush's buffer. Measured on real sockets (16 frames
 * per turn to 500 sockets, CPU per delivery): one coalesced buffer costs 0.5–0.7× of header +
 * body pieces at 100–500 B, about the same at 1 KB, 1.2× at 2 KB (the copy then dominates).
 */
export const COPY_MAX = 512;

type Item = Buffer | OwnPrefix | number;

export class FrameQueue {
  /** In order: a Buffer is a shared piece; an OwnPrefix is followed by its arg and its body. */
  #items: Item[] = [];
  #bytes = 0;
  /** Bytes the flush writes into its own buffer (per-socket heads, small bodies). */
  #copied = 0;
  /** Pieces written by reference (shared pieces, large bodies): 0 means one buffer, one write. */
  #referenced = 0;

  get bytes(): number {
    return this.#bytes;
  }

  /** Nothing queued: the next push is the first of this turn (the owner schedules its flush then). */
  get empty(): boolean {
    return this.#items.length === 0;
  }

  /**
   * False once the peer counts as not reading: a backlog in the stream's own buffer means the
   * kernel stopped taking bytes; this queue is capped too, so one burst cannot grow without bound.
   */
  fits(stream: { writableLength: number }, max: number): boolean {
    return (stream.writableLength ?? 0) <= max && this.#bytes <= 4 * max;
  }

  push(pieces: readonly Buffer[]): void {
    for (const p of pieces) {
      this.#items.push(p);
      this.#bytes += p.length;
    }
    this.#referenced += pieces.length;
  }

  /** One frame: `prefix`'s bytes for `arg`, then `body` (shared by other sockets: never written to). */
  pushOwnFrame(prefix: OwnPrefix, arg: number, body: Buffer): void {
    const own = prefix.length(arg, body.length);
    const head = frameHeaderLength(own + body.length) + own;
    this.#items.push(prefix, arg, body);
    this.#bytes += head + body.length;
    if (body.length <= COPY_MAX) {
      this.#copied += head + body.length;
    } else {
      this.#copied += head;
      this.#referenced++;
    }
  }

  clear(): void {
    this.#items = [];
    this.#bytes = 0;
    this.#copied = 0;
    this.#referenced = 0;
  }

  /**
   * Writes everything queued, in order (nothing when `writable` is false: it is dropped). A raw
   * socket takes shared pieces corked (one writev); `coalesce` joins them into one buffer first,
   * for streams where corking does not batch (a chunked HTTP response writes each piece on its
   * own; SSE queues shared pieces only).
   */
  writeTo(stream: { cork(): void; uncork(): void; write(b: Buffer): boolean }, writable: boolean, coalesce = false): void {
    const items = this.#items;
    const copied = this.#copied;
    const bytes = this.#bytes;
    const single = this.#referenced === 0;
    if (items.length === 0) return;
    this.clear();
    if (!writable) return;
    if (copied === 0) {
      if (coalesce) {
        stream.write(items.length === 1 ? items[0] as Buffer : Buffer.concat(items as Buffer[], bytes));
        return;
      }
      stream.cork();
      for (const p of items) stream.write(p as Buffer);
      stream.uncork();
      return;
    }
    // The queue is emptied first; a socket write never calls back into it synchronously (Node
    // reports write errors on a later tick), and whatever is queued meanwhile waits for the next flush.
    const out = Buffer.allocUnsafe(copied);
    if (single) {
      writeRun(items, 0, items.length, out, 0);
      stream.write(out);
      return;
    }
    stream.cork();
    let at = 0;
    let runStart = 0;
    for (let i = 0; i < items.length; ) {
      const item = items[i]!;
      if (item instanceof Uint8Array) {
        if (at > runStart) stream.write(out.subarray(runStart, at));
        runStart = at;
        stream.write(item);
        i++;
        continue;
      }
      const body = items[i + 2] as Buffer;
      at = writeHead(out, at, item as OwnPrefix, items[i + 1] as number, body);
      i += 3;
      if (body.length <= COPY_MAX) {
        out.set(body, at);
        at += body.length;
      } else {
        stream.write(out.subarray(runStart, at));
        runStart = at;
        stream.write(body);
      }
    }
    if (at > runStart) stream.write(out.subarray(runStart, at));
    stream.uncork();
  }
}

/** Copies frames `items[from, to)` (per-socket frames with small bodies only) into `out` at `at`. */
function writeRun(items: Item[], from: number, to: number, out: Buffer, at: number): number {
  for (let i = from; i < to; i += 3) {
    const body = items[i + 2] as Buffer;
    at = writeHead(out, at, items[i] as OwnPrefix, items[i + 1] as number, body);
    out.set(body, at);
    at += body.length;
  }
  return at;
}

/** A per-socket frame's WebSocket header and own bytes at `at`; returns the offset after them. */
function writeHead(out: Buffer, at: number, prefix: OwnPrefix, arg: number, body: Buffer): number {
  const own = prefix.length(arg, body.length);
  at = writeFrameHeaderAt(out, at, prefix.binary ? OPCODE_BINARY : OPCODE_TEXT, own + body.length);
  prefix.write(out, at, arg, body.length);
  return at + own;
}
