/**
 * A thin SignalR JSON receiver over a raw TCP socket for the default-mode row. Unlike RawWs (which
 * counts WebSocket frames, one hub message per frame on Lapis's serverless path), it counts hub
 * *records* (0x1E separators) in every text payload: ASP.NET Core's WebSocket transport sends
 * whatever its output pipe holds as one message, so under load several invocations share a frame
 * (or one message spans continuation frames), and a frame count would undercount Kestrel.
 * Server keep-alive Pings (`{"type":6}` + 0x1E) are not counted. Payloads are never decoded.
 */
import net from 'node:net';
import { handshakeMessage, pingMessage, RECORD_SEPARATOR } from './signalr.ts';
import { maskedFrame, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT } from './ws-client-frame.ts';

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

export interface RecordWsOptions {
  port: number;
  /** Request target of the upgrade GET (path and query). */
  path: string;
  /** Extra request header lines, each ending in CRLF. */
  headers?: string;
  localAddress?: string;
  counters: RecordCounters;
  timeoutMs: number;
}

const PING_RECORD = Buffer.from('{"type":6}');
const CLIENT_PING = maskedFrame(OP_TEXT, pingMessage('json'));
/** One read buffer for every socket of the process: each read is processed synchronously. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export class RecordWs {
  readonly socket: net.Socket;
  readonly ready: Promise<void>;
  readonly #counters: RecordCounters;
  /** 0 = HTTP upgrade, 1 = SignalR handshake, 2 = counting, 3 = closed. */
  #phase = 0;
  #http: Buffer | null = Buffer.alloc(0);
  #pending: Buffer | null = null;
  #remaining = 0;
  #op = 0;
  /** Opcode of the data message a continuation frame belongs to. */
  #messageOp = 0;
  #control: Buffer[] = [];
  #handshake: Buffer = Buffer.alloc(0);
  /** The last bytes (at most a Ping's length) of a record not finished yet. */
  #tail: Buffer | null = null;
  #closing = false;
  #resolve!: () => void;
  #reject!: (err: Error) => void;

  constructor(o: RecordWsOptions) {
    this.#counters = o.counters;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const timer = setTimeout(() => this.#fail(new Error(`handshake timeout after ${o.timeoutMs} ms`)), o.timeoutMs);
    this.ready.then(() => clearTimeout(timer), () => clearTimeout(timer));
    const socket = net.connect({
      host: '127.0.0.1',
      port: o.port,
      localAddress: o.localAddress,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          this.#onData(Buffer.from(buf.buffer, buf.byteOffset, n));
          return true;
        },
      },
    });
    this.socket = socket;
    socket.on('connect', () => {
      socket.write(
        `GET ${o.path} HTTP/1.1\r\nHost: 127.0.0.1:${o.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${o.headers ?? ''}\r\n`,
      );
    });
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => {
      if (this.#phase === 2 && !this.#closing) this.#counters.unexpectedCloses++;
      if (this.#phase < 2) this.#fail(new Error('connection closed during the handshake'));
      this.#phase = 3;
    });
  }

  get open(): boolean {
    return this.#phase === 2;
  }

  /** Writes a client frame (e.g. a masked hub invocation); false when the socket buffers it. */
  send(frame: Buffer): boolean {
    return this.socket.write(frame);
  }

  /** A client Ping: ASP.NET Core and Lapis both drop clients that are silent for 30 s. */
  keepAlive(): void {
    if (this.#phase === 2) this.socket.write(CLIENT_PING);
  }

  close(): void {
    this.#closing = true;
    this.socket.destroy();
  }

  #fail(err: Error): void {
    if (this.#phase >= 2) return;
    this.#phase = 3;
    this.#closing = true;
    this.socket.destroy();
    this.#reject(err);
  }

  #onData(chunk: Buffer): void {
    this.#counters.reads++;
    if (this.#phase === 0) {
      const all = Buffer.concat([this.#http!, chunk]);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        this.#http = all;
        return;
      }
      this.#http = null;
      if (all.toString('latin1', 9, 12) !== '101') {
        this.#fail(new Error(`upgrade refused: ${all.toString('utf8', 0, Math.min(all.length, 400)).replace(/\r\n/g, ' | ')}`));
        return;
      }
      this.#phase = 1;
      this.socket.write(maskedFrame(OP_TEXT, handshakeMessage('json')));
      chunk = all.subarray(end + 4);
      if (chunk.length === 0) return;
    }
    this.#frames(chunk);
  }

  #frames(chunk: Buffer): void {
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
        this.#payload(buf, i, i + take);
        i += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#endFrame();
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
      this.#op = buf[i]! & 0x0f;
      if (this.#op !== OP_CONT && this.#op < 0x8) this.#messageOp = this.#op;
      i += hl;
      this.#remaining = len;
      if (len === 0) this.#endFrame();
    }
  }

  /** Bytes [from, to) of the current frame's payload. */
  #payload(buf: Buffer, from: number, to: number): void {
    if (this.#op >= 0x8) {
      this.#control.push(Buffer.from(buf.subarray(from, to)));
      return;
    }
    if (this.#phase === 1) {
      const rs = buf.indexOf(RECORD_SEPARATOR, from);
      if (rs < 0 || rs >= to) {
        this.#handshake = Buffer.concat([this.#handshake, buf.subarray(from, to)]);
        return;
      }
      const reply = Buffer.concat([this.#handshake, buf.subarray(from, rs)]).toString('utf8');
      if (reply !== '{}') {
        this.#fail(new Error(`SignalR handshake refused: ${reply.slice(0, 200)}`));
        return;
      }
      this.#phase = 2;
      this.#resolve();
      // Anything after the handshake reply in the same frame is counted below.
      from = rs + 1;
      if (from >= to) return;
    }
    if (this.#phase !== 2 || (this.#op === OP_CONT ? this.#messageOp : this.#op) !== OP_TEXT) return;
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

  #endFrame(): void {
    if (this.#op < 0x8) return;
    const body = Buffer.concat(this.#control);
    this.#control = [];
    if (this.#op === OP_PING) this.socket.write(maskedFrame(OP_PONG, body));
    else if (this.#op === OP_CLOSE && !this.#closing) {
      if (this.#phase === 2) this.#counters.unexpectedCloses++;
      this.#closing = true;
      const code = body.length >= 2 ? body.readUInt16BE(0) : 1005;
      this.#fail(new Error(`server closed the connection (${code} ${body.toString('utf8', 2)})`));
      this.socket.end(maskedFrame(OP_CLOSE, Buffer.alloc(0)));
    }
  }
}
