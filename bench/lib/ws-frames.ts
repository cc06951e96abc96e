/**
 * A raw WebSocket client (RFC 6455) that walks server frames without unmasking or copying their
 * payloads (server frames are not masked): subclasses see each data frame's start, its payload
 * bytes where they lie in the read buffer, and its end. Control frames are handled here: Ping is
 * answered with Pong, a server Close ends the connection (counted when it was unexpected).
 */
import { RawSocketClient, upgradeRequest, type ReadCounters } from './raw-socket.ts';
import { maskedFrame, OP_CLOSE, OP_CONT, OP_PING, OP_PONG } from './ws-client-frame.ts';

export interface WsFrameOptions {
  port: number;
  localAddress?: string;
  /** Request target of the upgrade GET (path and query). */
  path: string;
  /** Extra request header lines, each ending in CRLF (a subprotocol, a SignalR client's Authorization). */
  headers?: string;
  counters: ReadCounters;
  timeoutMs: number;
}

export abstract class WsFrameClient extends RawSocketClient {
  /** Bytes of a frame header cut by a read boundary. */
  #pending: Buffer | null = null;
  #remaining = 0;
  #op = 0;
  /** Opcode of the data message a continuation frame belongs to. */
  #messageOp = 0;
  #control: Buffer[] = [];

  constructor(o: WsFrameOptions) {
    super({ ...o, request: upgradeRequest(o.port, o.path, o.headers), expectStatus: '101' });
  }

  /** A data frame begins: its opcode, the opcode of its message (differs for continuations), its length. */
  protected abstract frameStart(op: number, messageOp: number, len: number): void;

  /** Bytes [from, to) of the current data frame's payload. */
  protected abstract payload(buf: Buffer, from: number, to: number): void;

  /** The current data frame is complete. */
  protected abstract frameEnd(): void;

  protected received(chunk: Buffer): void {
    let buf = chunk;
    if (this.#pending) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, n - i);
        if (this.#op >= 0x8) this.#control.push(Buffer.from(buf.subarray(i, i + take)));
        else this.payload(buf, i, i + take);
        i += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#end();
        continue;
      }
      if (n - i < 2) {
        this.#pending = Buffer.from(buf.subarray(i));
        return;
      }
      let len = buf[i + 1]! & 0x7f;
      let hl = 2;
      if (len === 126) {
        if (n - i < 4) {
          this.#pending = Buffer.from(buf.subarray(i));
          return;
        }
        len = buf.readUInt16BE(i + 2);
        hl = 4;
      } else if (len === 127) {
        if (n - i < 10) {
          this.#pending = Buffer.from(buf.subarray(i));
          return;
        }
        len = buf.readUInt32BE(i + 2) * 2 ** 32 + buf.readUInt32BE(i + 6);
        hl = 10;
      }
      const op = buf[i]! & 0x0f;
      this.#op = op;
      if (op !== OP_CONT && op < 0x8) this.#messageOp = op;
      i += hl;
      this.#remaining = len;
      if (op < 0x8) this.frameStart(op, this.#messageOp, len);
      if (len === 0) this.#end();
    }
  }

  #end(): void {
    if (this.#op < 0x8) {
      this.frameEnd();
      return;
    }
    const body = Buffer.concat(this.#control);
    this.#control = [];
    if (this.#op === OP_PING) this.socket.write(maskedFrame(OP_PONG, body));
    else if (this.#op === OP_CLOSE && !this.closing) {
      if (this.phase === 2) this.readCounters.unexpectedCloses++;
      this.closing = true;
      const code = body.length >= 2 ? body.readUInt16BE(0) : 1005;
      this.fail(new Error(`server closed the connection (${code} ${body.toString('utf8', 2)})`));
      this.socket.end(maskedFrame(OP_CLOSE, Buffer.alloc(0)));
    }
  }
}
