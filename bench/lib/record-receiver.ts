/**
 * A thin SignalR JSON receiver over a raw TCP socket for the default-mode row. Unlike RawWs (which
 * counts WebSocket frames, one hub message per frame on Lapis's serverless path), it counts hub
 * *records* (0x1E separators) in every text payload: ASP.NET Core's WebSocket transport sends
 * whatever its output pipe holds as one message, so under load several invocations share a frame
 * (or one message spans continuation frames), and a frame count would undercount Kestrel.
 * Server keep-alive Pings (`{"type":6}` + 0x1E) are not counted. Payloads are never decoded.
 */
import { handshakeMessage, pingMessage, RECORD_SEPARATOR } from './signalr.ts';
import { maskedFrame, OP_TEXT } from './ws-client-frame.ts';
import { WsFrameClient, type WsFrameOptions } from './ws-frames.ts';

/** What the receivers of one process counted. */
export class RecordCounters {
  records = 0;
  bytes = 0;
  reads = 0;
  unexpectedCloses = 0;

  reset(): void {
    this.records = 0;
    this.bytes = 0;
    this.reads = 0;
    this.unexpectedCloses = 0;
  }
}

export interface RecordWsOptions extends WsFrameOptions {
  counters: RecordCounters;
}

const PING_RECORD = Buffer.from('{"type":6}');
const CLIENT_PING = maskedFrame(OP_TEXT, pingMessage('json'));

export class RecordWs extends WsFrameClient {
  readonly #counters: RecordCounters;
  /** Opcode of the message the current frame belongs to. */
  #messageOp = 0;
  #handshake: Buffer = Buffer.alloc(0);
  /** The last bytes (at most a Ping's length) of a record not finished yet. */
  #tail: Buffer | null = null;

  constructor(o: RecordWsOptions) {
    super(o);
    this.#counters = o.counters;
  }

  /** Writes a client frame (e.g. a masked hub invocation); false when the socket buffers it. */
  send(frame: Buffer): boolean {
    return this.socket.write(frame);
  }

  /** A client Ping: ASP.NET Core and Lapis both drop clients that are silent for 30 s. */
  keepAlive(): void {
    if (this.phase === 2) this.socket.write(CLIENT_PING);
  }

  protected afterHead(): void {
    this.phase = 1;
    this.socket.write(maskedFrame(OP_TEXT, handshakeMessage('json')));
  }

  protected frameStart(_op: number, messageOp: number): void {
    this.#messageOp = messageOp;
  }

  protected frameEnd(): void {}

  /** Bytes [from, to) of the current frame's payload. */
  protected payload(buf: Buffer, from: number, to: number): void {
    if (this.phase === 1) {
      const rs = buf.indexOf(RECORD_SEPARATOR, from);
      if (rs < 0 || rs >= to) {
        this.#handshake = Buffer.concat([this.#handshake, buf.subarray(from, to)]);
        return;
      }
      const reply = Buffer.concat([this.#handshake, buf.subarray(from, rs)]).toString('utf8');
      if (reply !== '{}') {
        this.fail(new Error(`SignalR handshake refused: ${reply.slice(0, 200)}`));
        return;
      }
      this.opened();
      // Anything after the handshake reply in the same frame is counted below.
      from = rs + 1;
      if (from >= to) return;
    }
    if (this.phase !== 2 || this.#messageOp !== OP_TEXT) return;
    const c = this.#counters;
    c.bytes += to - from;
    let start = from;
    let at = buf.indexOf(RECORD_SEPARATOR, from);
    while (at >= 0 && at < to) {
      if (!this.#isPing(buf, start, at)) c.records++;
      this.#tail = null;
      start = at + 1;
      at = buf.indexOf(RECORD_SEPARATOR, start);
    }
    // A record cut by a read or frame boundary: keep its last bytes for the Ping check.
    if (start < to) {
      const piece = buf.subarray(Math.max(start, to - PING_RECORD.length), to);
      this.#tail = this.#tail ? Buffer.concat([this.#tail, piece]).subarray(-PING_RECORD.length) : Buffer.from(piece);
    }
  }

  /** Whether the record ending at `at` (its bytes from `start` here, earlier ones in the tail) is a Ping. */
  #isPing(buf: Buffer, start: number, at: number): boolean {
    const n = PING_RECORD.length;
    if (at - start >= n) return buf.compare(PING_RECORD, 0, n, at - n, at) === 0;
    if (!this.#tail) return false;
    const joined = Buffer.concat([this.#tail, buf.subarray(start, at)]);
    return joined.length >= n && joined.compare(PING_RECORD, 0, n, joined.length - n) === 0;
  }
}
