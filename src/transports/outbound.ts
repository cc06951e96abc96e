/**
 * One outbound protocol message, as pieces shared by every recipient, with each transport's
 * framing built at most once and cached here. A broadcast to N WebSocket peers of one format
 * therefore frames once. A per-peer message that differs only by a few bytes of its own in front
 * of a shared body (a reliable sequence id) is built with `withOwnPrefix` (a replay, a session
 * store's copy): one small buffer holds its WebSocket header and its own bytes, and the shared body
 * is referenced, not copied. A live fan-out queues such frames without building them (`FrameQueue`).
 */
import { frameHeader, frameHeaderLength, OPCODE_BINARY, OPCODE_TEXT, writeFrameHeaderAt } from './ws-frame.ts';

const DATA_PREFIX = Buffer.from('data: ');
const EVENT_END = Buffer.from('\n\n');

/**
 * Writes a message's own bytes into `into` from `at` (exactly `OwnPrefix.length` of them); `arg`
 * is what they encode (e.g. a sequence id), `sharedLength` the length of the shared body that
 * follows them. A module-level function, so that building a message allocates no closure.
 */
export type OwnBytesWriter = (into: Buffer, at: number, arg: number, sharedLength: number) => void;

/**
 * The bytes a per-peer message has of its own in front of a body every peer shares (a reliable
 * socket's sequence id): how many there are for a given `arg`, and how to write them. One
 * constant object per wire format, so a queued frame is (prefix, arg, shared body) and nothing
 * of the peer's own is allocated until it is written (`FrameQueue`).
 */
export interface OwnPrefix {
  /** Binary WebSocket frames rather than text. */
  readonly binary: boolean;
  length(arg: number, sharedLength: number): number;
  readonly write: OwnBytesWriter;
}

export class Outbound {
  readonly length: number;
  /** Binary WebSocket frame (MessagePack, Web PubSub binary) rather than text. */
  readonly binary: boolean;
  #pieces: readonly Buffer[] | undefined;
  #ws: readonly Buffer[] | undefined;
  #sse: readonly Buffer[] | undefined;
  /** `withOwnPrefix` messages: where the own bytes start in the frame's first piece (after the header). */
  #ownAt = 0;

  /** `length` is the pieces' total (given only by `withOwnPrefix`, whose pieces are made on demand). */
  constructor(pieces: readonly Buffer[], binary: boolean, length = totalLength(pieces)) {
    this.#pieces = pieces;
    this.binary = binary;
    this.length = length;
  }

  static of(bytes: Buffer, binary = false): Outbound {
    return new Outbound([bytes], binary);
  }

  /**
   * The prefix's own bytes for `arg` followed by `shared`. Its WebSocket frame is two pieces,
   * [header + own bytes, shared], as a shared message's is.
   */
  static withOwnPrefix(prefix: OwnPrefix, arg: number, shared: Buffer): Outbound {
    const ownLength = prefix.length(arg, shared.length);
    const length = ownLength + shared.length;
    const head = Buffer.allocUnsafe(frameHeaderLength(length) + ownLength);
    const at = writeFrameHeaderAt(head, 0, prefix.binary ? OPCODE_BINARY : OPCODE_TEXT, length);
    prefix.write(head, at, arg, shared.length);
    const o = new Outbound(NO_PIECES, prefix.binary, length);
    o.#pieces = undefined;
    o.#ws = [head, shared];
    o.#ownAt = at;
    return o;
  }

  /** The message's bytes (without any transport framing), in order. */
  get pieces(): readonly Buffer[] {
    return (this.#pieces ??= [this.#ws![0]!.subarray(this.#ownAt), this.#ws![1]!]);
  }

  /** The message as one unmasked, final WebSocket frame: header plus the shared pieces. */
  webSocketFrame(): readonly Buffer[] {
    return (this.#ws ??= [frameHeader(this.binary ? OPCODE_BINARY : OPCODE_TEXT, this.length), ...this.pieces]);
  }

  /**
   * The message as one Server-Sent Event. Every line of the payload becomes a `data:` line
   * (the receiver joins them with LF), so a payload with line breaks survives; text only.
   */
  sseEvent(): readonly Buffer[] {
    if (this.#sse) return this.#sse;
    const pieces = this.pieces;
    const joined = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces as Buffer[], this.length);
    if (joined.indexOf(0x0a) < 0 && joined.indexOf(0x0d) < 0) {
      this.#sse = [DATA_PREFIX, ...pieces, EVENT_END];
    } else {
      const lines = joined.toString('utf8').split(/\r\n|\r|\n/);
      this.#sse = [Buffer.from(`${lines.map((l) => `data: ${l}`).join('\n')}\n\n`, 'utf8')];
    }
    return this.#sse;
  }
}

const NO_PIECES: readonly Buffer[] = [];

function totalLength(pieces: readonly Buffer[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}
