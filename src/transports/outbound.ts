/**
 * One outbound protocol message, as pieces shared by every recipient, with each transport's
 * framing built at most once and cached here. A broadcast to N WebSocket peers of one format
 * therefore frames once. A per-peer message that differs only by a few bytes of its own in front
 * of a shared body (a reliable sequence id) is built with `withOwnPrefix`: one small buffer per
 * peer holds its WebSocket header and its own bytes, and the shared body is referenced, not copied.
 */
import { frameHeader, frameHeaderLength, OPCODE_BINARY, OPCODE_TEXT, writeFrameHeader } from './ws-frame.ts';

const DATA_PREFIX = Buffer.from('data: ');
const EVENT_END = Buffer.from('\n\n');

/**
 * Writes a message's own bytes into `into` from `at` (exactly the count given to `withOwnPrefix`);
 * `arg` is what they encode (e.g. a sequence id), `sharedLength` the length of the shared body
 * that follows them. A module-level function, so that building a message allocates no closure.
 */
export type OwnBytesWriter = (into: Buffer, at: number, arg: number, sharedLength: number) => void;

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
   * `ownLength` bytes of this message's own (written by `write`) followed by `shared`. Its
   * WebSocket frame is two pieces, [header + own bytes, shared], as a shared message's is.
   */
  static withOwnPrefix(ownLength: number, write: OwnBytesWriter, arg: number, shared: Buffer, binary: boolean): Outbound {
    const head = ownPrefixFrameHead(ownLength, write, arg, shared, binary);
    const o = new Outbound(NO_PIECES, binary, ownLength + shared.length);
    o.#pieces = undefined;
    o.#ws = [head, shared];
    o.#ownAt = head.length - ownLength;
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

/**
 * The first piece of `withOwnPrefix`'s WebSocket frame — the frame header and the message's own
 * bytes in one buffer; the frame is [head, shared]. A fan-out that writes it straight to a
 * transport (`WebSocketTransport.sendFrame`) needs no `Outbound` per socket.
 */
export function ownPrefixFrameHead(ownLength: number, write: OwnBytesWriter, arg: number, shared: Buffer, binary: boolean): Buffer {
  const length = ownLength + shared.length;
  const h = frameHeaderLength(length);
  const head = Buffer.allocUnsafe(h + ownLength);
  writeFrameHeader(head, binary ? OPCODE_BINARY : OPCODE_TEXT, length);
  write(head, h, arg, shared.length);
  return head;
}

function totalLength(pieces: readonly Buffer[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}
