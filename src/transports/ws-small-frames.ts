/**
 * Small client frames read without `ws`'s receiver machinery. Every reliable client acknowledges
 * what it received several times a second (the bench's every 100 ms: 10–20 k `sequenceAck` frames
 * a second at 1,000–2,000 connections), each arriving as one TCP read holding one small masked
 * frame. `ws` runs each through a `Writable` (its receiver), a parsing loop and two events.
 *
 * When a read is exactly one complete, final, unfragmented text or binary frame of up to 125 bytes
 * and the receiver is idle (nothing buffered, no message in progress, open), this unmasks it in
 * place and hands the message straight to the listener, doing what `ws` would do for it: the same
 * checks (RSV bits, mask, `maxPayload`, UTF-8 of text) and the same message. Anything else — other
 * frames, several frames or part of one in the read, a receiver mid-message, invalid UTF-8 — goes
 * to `ws` untouched, which answers exactly as before (errors, close codes included).
 *
 * This leans on `ws` internals (its receiver's state fields, read here, never written); `install`
 * checks that they look as expected and does nothing otherwise, so an upgrade of `ws` that changes
 * them costs speed, not correctness.
 */
import { isUtf8 } from 'node:buffer';
import { Writable } from 'node:stream';
import type { WebSocket } from 'ws';

const OPEN = 1;
/** `ws`'s receiver state between frames (`GET_INFO` in receiver.js). */
const GET_INFO = 0;
const SOCKET = Symbol('lapis.websocket');
const ON_MESSAGE = Symbol('lapis.onMessage');

/** A `message` listener (called with the WebSocket as `this`, as `ws` calls it). */
type MessageListener = (this: WebSocket, data: Buffer, isBinary: boolean) => void;

interface ReceiverInternals extends Writable {
  _state: number;
  _bufferedBytes: number;
  _fragmented: number;
  _maxPayload: number;
  _skipUTF8Validation: boolean;
  _allowSynchronousEvents: boolean;
  _binaryType: string;
  _isServer: boolean;
  _extensions: Record<string, unknown>;
  [SOCKET]: WebSocket;
  [ON_MESSAGE]: MessageListener;
}

/**
 * Makes `ws`'s receiver take the fast path for small frames, delivering them to `onMessage` (the
 * socket's `message` listener, which then sees them exactly as if `ws` had emitted them). Returns
 * whether it did. One shared function per process, not a closure per connection.
 */
export function readSmallFramesDirectly(ws: WebSocket, onMessage: MessageListener): boolean {
  const receiver = (ws as unknown as { _receiver?: ReceiverInternals })._receiver;
  if (!receiver || !looksAsExpected(receiver)) return false;
  receiver[SOCKET] = ws;
  receiver[ON_MESSAGE] = onMessage;
  receiver.write = smallFramesFirst as Writable['write'];
  return true;
}

const write = Writable.prototype.write;

function smallFramesFirst(this: ReceiverInternals, chunk: Buffer, encoding?: BufferEncoding, cb?: (err?: Error | null) => void): boolean {
  if (this[SOCKET].readyState === OPEN && idle(this) && takeFrame(chunk, this)) return true;
  return write.call(this, chunk, encoding as BufferEncoding, cb);
}

function looksAsExpected(r: ReceiverInternals): boolean {
  return r instanceof Writable && r.write === write && r._state === GET_INFO && typeof r._bufferedBytes === 'number' &&
    typeof r._fragmented === 'number' && typeof r._maxPayload === 'number' && typeof r._skipUTF8Validation === 'boolean' &&
    // Compressed frames (permessage-deflate) and deferred or converted messages stay with `ws`.
    r._allowSynchronousEvents === true && r._binaryType === 'nodebuffer' && r._isServer === true &&
    typeof r._extensions === 'object' && Object.keys(r._extensions).length === 0;
}

/** Between frames, nothing buffered or being written, no fragmented message open, not ended. */
function idle(r: ReceiverInternals): boolean {
  return r._state === GET_INFO && r._bufferedBytes === 0 && r._fragmented === 0 && r.writable && r.writableLength === 0;
}

/** Delivers `chunk` if it is exactly one small final text or binary masked frame; false (untouched) otherwise. */
function takeFrame(chunk: Buffer, r: ReceiverInternals): boolean {
  const n = chunk.length;
  if (n < 6 || n > 131) return false;
  const b0 = chunk[0]!;
  // FIN set, RSV1-3 clear, opcode 1 (text) or 2 (binary).
  if (b0 !== 0x81 && b0 !== 0x82) return false;
  const b1 = chunk[1]!;
  const length = b1 & 0x7f;
  // Masked, length in the first byte (< 126), and the read holds this frame and nothing else.
  if ((b1 & 0x80) === 0 || length > 125 || n !== 6 + length) return false;
  if (r._maxPayload > 0 && length > r._maxPayload) return false;
  unmask(chunk);
  const data = chunk.subarray(6);
  const binary = b0 === 0x82;
  if (!binary && !r._skipUTF8Validation && !isAscii(data) && !isUtf8(data)) {
    unmask(chunk); // masked again (the mask is its own inverse), for `ws` to refuse it as it always has
    return false;
  }
  r[ON_MESSAGE].call(r[SOCKET], data, binary);
  return true;
}

/** XORs a small frame's payload (from byte 6) with its mask (bytes 2–5). */
function unmask(frame: Buffer): void {
  for (let i = 6; i < frame.length; i++) frame[i] = frame[i]! ^ frame[2 + ((i - 6) & 3)]!;
}

function isAscii(data: Buffer): boolean {
  let high = 0;
  for (let i = 0; i < data.length; i++) high |= data[i]!;
  return high < 0x80;
}
