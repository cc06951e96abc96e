/**
 * One outbound protocol message, as pieces shared by every recipient, with each transport's
 * framing built at most once and cached here. A broadcast to N WebSocket peers of one format
 * therefore frames once; a per-peer message (a reliable sequence id) is a fresh `Outbound`.
 */
import { frameHeader, OPCODE_BINARY, OPCODE_TEXT } from './ws-frame.ts';

const DATA_PREFIX = Buffer.from('data: ');
const EVENT_END = Buffer.from('\n\n');

export class Outbound {
  readonly pieces: readonly Buffer[];
  readonly length: number;
  /** Binary WebSocket frame (MessagePack, Web PubSub binary) rather than text. */
  readonly binary: boolean;
  #ws: readonly Buffer[] | undefined;
  #sse: readonly Buffer[] | undefined;

  constructor(pieces: readonly Buffer[], binary: boolean) {
    this.pieces = pieces;
    this.binary = binary;
    let n = 0;
    for (const p of pieces) n += p.length;
    this.length = n;
  }

  static of(bytes: Buffer, binary = false): Outbound {
    return new Outbound([bytes], binary);
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
    const joined = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces as Buffer[], this.length);
    if (joined.indexOf(0x0a) < 0 && joined.indexOf(0x0d) < 0) {
      this.#sse = [DATA_PREFIX, ...this.pieces, EVENT_END];
    } else {
      const lines = joined.toString('utf8').split(/\r\n|\r|\n/);
      this.#sse = [Buffer.from(`${lines.map((l) => `data: ${l}`).join('\n')}\n\n`, 'utf8')];
    }
    return this.#sse;
  }
}
