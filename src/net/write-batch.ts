/**
 * One write per turn for a socket whose client pipelines requests. `node:http` writes every
 * response with its own write(2) (`ServerResponse.end` uncorks the socket fully, and the next
 * pipelined response gets the socket only once the previous one's write has called back), and on
 * loopback that system call was a quarter of a REST send's CPU (issue 16). A fast lane that sees
 * several requests of one connection waiting calls `holdWritesThisTurn`: every write the socket
 * takes until the event loop's check phase — these responses, fastify's in between, anything —
 * is kept in order and leaves in one writev.
 *
 * To let `node:http` move on to the next response, a held write is reported done at once, but
 * only while the socket's kernel queue is empty, no earlier write is in flight and less than
 * `MAX_HELD_BYTES` is held; otherwise the write reports done only when the kernel has it, which
 * is the back-pressure the socket has without batching. As `stream.Writable` guarantees, never
 * two writes are in flight at once (TLSWrap aborts the process otherwise). `end()` waits for the
 * held bytes before the FIN; a destroyed socket drops them, as it drops any unwritten data. A
 * write that fails after it was reported done destroys the socket with the error. Outside a held
 * turn, with nothing held or in flight, the socket's own write functions run unchanged.
 */
import type { Socket } from 'node:net';

/** Enough for hundreds of small responses; a large body is written at once instead (string chunks count characters). */
export const MAX_HELD_BYTES = 64 * 1024;

interface Chunk {
  chunk: Buffer | string;
  encoding: BufferEncoding | 'buffer';
}
type Done = (err?: Error | null) => void;

/** The stream.Writable hooks of net.Socket (not in its public type). */
interface WritableHooks {
  _write(chunk: Buffer | string, encoding: BufferEncoding, cb: Done): void;
  _writev(chunks: Chunk[], cb: Done): void;
  _final(cb: Done): void;
  _handle: { writeQueueSize?: number } | null;
}

interface Batch {
  on: boolean;
  held: Chunk[];
  bytes: number;
  /** A write of held bytes has not called back yet: never two at once (TLSWrap asserts it). */
  inFlight: boolean;
  /** The Writable's callback not called yet (its write is held): called when that write is done. */
  waiter: Done | undefined;
  /** `_final` waiting for the held bytes to be written. */
  finish: (() => void) | undefined;
  write: WritableHooks['_write'];
  writev: WritableHooks['_writev'];
}

const kBatch = Symbol('lapis.writeBatch');
type Batched = Socket & WritableHooks & { [kBatch]?: Batch };

/** Holds the socket's writes until this turn's check phase (setImmediate), then writes them together. */
export function holdWritesThisTurn(socket: Socket): void {
  const s = socket as Batched;
  const b = s[kBatch] ?? install(s);
  if (b.on) return;
  b.on = true;
  setImmediate(endTurn, s, b);
}

function endTurn(s: Batched, b: Batch): void {
  b.on = false;
  if (s.destroyed) b.held = [];
  else if (!b.inFlight && b.held.length > 0) writeHeld(s, b);
}

function install(s: Batched): Batch {
  const b: Batch = { on: false, held: [], bytes: 0, inFlight: false, waiter: undefined, finish: undefined, write: s._write, writev: s._writev };
  const final = s._final;
  s._write = function (this: Batched, chunk, encoding, cb) {
    if (!b.on && !b.inFlight && b.held.length === 0) return b.write.call(this, chunk, encoding, cb);
    hold(this, b, chunk, encoding, cb);
  };
  s._writev = function (this: Batched, chunks, cb) {
    if (!b.on && !b.inFlight && b.held.length === 0) return b.writev.call(this, chunks, cb);
    for (let i = 0; i < chunks.length - 1; i++) hold(this, b, chunks[i]!.chunk, chunks[i]!.encoding, undefined);
    const last = chunks[chunks.length - 1]!;
    hold(this, b, last.chunk, last.encoding, cb);
  };
  s._final = function (this: Batched, cb) {
    if (!b.inFlight && b.held.length === 0) return final.call(this, cb);
    b.finish = () => final.call(this, cb);
    if (!b.inFlight) writeHeld(this, b);
  };
  s[kBatch] = b;
  return b;
}

/** `cb` undefined: more of the same writev follows. */
function hold(s: Batched, b: Batch, chunk: Buffer | string, encoding: Chunk['encoding'], cb: Done | undefined): void {
  b.held.push({ chunk, encoding });
  b.bytes += chunk.length;
  if (cb === undefined) return;
  if (b.on && !b.inFlight && b.bytes < MAX_HELD_BYTES && s._handle?.writeQueueSize === 0) {
    cb();
    return;
  }
  // Held too much, the kernel is behind, or the turn is over: the Writable waits for the real write.
  b.waiter = cb;
  if (!b.inFlight) writeHeld(s, b);
}

/** Writes everything held as one write; precondition: nothing in flight, something held. */
function writeHeld(s: Batched, b: Batch): void {
  const held = b.held;
  const waiter = b.waiter;
  b.held = [];
  b.bytes = 0;
  b.waiter = undefined;
  b.inFlight = true;
  const done: Done = (err) => {
    b.inFlight = false;
    if (err) {
      if (waiter) waiter(err);
      else s.destroy(err);
      return;
    }
    waiter?.();
    // What was held meanwhile: now if the turn is over or the Writable waits, else at the turn's end.
    if (!b.inFlight && b.held.length > 0 && (!b.on || b.waiter !== undefined || b.finish !== undefined)) writeHeld(s, b);
    else if (!b.inFlight && b.held.length === 0 && b.finish !== undefined) {
      const finish = b.finish;
      b.finish = undefined;
      finish();
    }
  };
  if (held.length === 1) b.write.call(s, held[0]!.chunk, held[0]!.encoding as BufferEncoding, done);
  else b.writev.call(s, held, done);
}
