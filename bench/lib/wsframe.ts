/**
 * A deliberately thin WebSocket client over a raw TCP socket (RFC 6455), so that the load
 * generator costs far less than the servers it measures: it performs the upgrade itself, then
 * only walks frame headers to count messages and payload bytes. Payloads are never unmasked
 * (server frames are not masked), never decoded, never parsed, except:
 * - control frames (ping → pong, close), Socket.IO's engine ping `2` (→ `3`) and the one-time
 *   application handshake (Socket.IO `0…`/`40…`, Web PubSub `connected` system message, the
 *   SignalR handshake reply `{}`);
 * - SignalR frames no longer than a Ping, so that the server's keep-alive Pings are not counted
 *   (the server writes one hub message per frame, so every other data frame is one Invocation);
 * - in latency mode, the first bytes of each data frame, to read the `@@T<µs>;` send stamp.
 */
import net from 'node:net';
import type { Wire } from './contestants.ts';
import { Counters } from './counters.ts';
import { handshakeMessage, pingMessage } from './signalr.ts';
import type { SignalRProtocol } from './signalr.ts';

export { Counters };

import { maskedFrame, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT } from './ws-client-frame.ts';

export { maskedFrame, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT };

const STAMP = Buffer.from('@@T');
const CAPTURE_LATENCY = 160;
const CAPTURE_HANDSHAKE = 8192;

export interface ConnectOptions {
  port: number;
  localAddress?: string;
  path: string;
  protocol?: string;
  /** Extra request header lines, each ending in CRLF (e.g. a SignalR client's Authorization). */
  headers?: string;
  wire: Wire;
  counters: Counters;
  /** Give up on the handshake after this long. */
  timeoutMs: number;
}

let nowUs = 0;
/**
 * One read buffer for every socket of the process (net's `onread`): no per-read allocation and no
 * stream machinery. Safe because each read is fully processed synchronously (kept bytes are copied).
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export class RawWs {
  readonly socket: net.Socket;
  readonly #wire: Wire;
  readonly #counters: Counters;
  /** SignalR hub protocol of this connection (undefined for the other wires). */
  readonly #signalr: SignalRProtocol | undefined;
  readonly #ping: Buffer | undefined;
  /** 0 = HTTP upgrade, 1 = application handshake, 2 = counting, 3 = closed. */
  #phase = 0;
  #http: Buffer | null = Buffer.alloc(0);
  #pending: Buffer | null = null;
  #remaining = 0;
  #op = 0;
  #len = 0;
  #capture: Buffer | null = null;
  #captured = 0;
  #closing = false;
  /** Web PubSub connection id (from the `connected` system message). */
  connectionId: string | undefined;
  readonly ready: Promise<void>;
  #resolve!: () => void;
  #reject!: (err: Error) => void;

  constructor(o: ConnectOptions) {
    this.#wire = o.wire;
    this.#counters = o.counters;
    this.#signalr = o.wire === 'signalr-json' ? 'json' : o.wire === 'signalr-msgpack' ? 'messagepack' : undefined;
    this.#ping = this.#signalr ? pingMessage(this.#signalr) : undefined;
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
      const proto = o.protocol ? `Sec-WebSocket-Protocol: ${o.protocol}\r\n` : '';
      socket.write(
        `GET ${o.path} HTTP/1.1\r\nHost: 127.0.0.1:${o.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${proto}${o.headers ?? ''}\r\n`,
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

  send(frame: Buffer): boolean {
    return this.socket.write(frame);
  }

  /** SignalR: a client Ping (the server drops clients silent for 30 s); nothing for the other wires. */
  keepAlive(): void {
    if (this.#signalr && this.#phase === 2) this.socket.write(maskedFrame(this.#signalr === 'json' ? OP_TEXT : OP_BINARY, this.#ping!));
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
      const status = all.toString('latin1', 9, 12);
      if (status !== '101') {
        const text = all.toString('utf8', 0, Math.min(all.length, 400)).replace(/\r\n/g, ' | ');
        this.#fail(new Error(`upgrade refused: ${text}`));
        return;
      }
      if (this.#signalr) {
        // The JS client sends its handshake as text on both protocols.
        this.#phase = 1;
        this.socket.write(maskedFrame(OP_TEXT, handshakeMessage(this.#signalr)));
      } else if (this.#wire === 'socketio' || this.#wire === 'lapis-json') this.#phase = 1;
      else this.#open();
      chunk = all.subarray(end + 4);
      if (chunk.length === 0) return;
    }
    if (this.#counters.latency) nowUs = Number(process.hrtime.bigint() / 1000n);
    this.#frames(chunk);
  }

  #open(): void {
    this.#phase = 2;
    this.#resolve();
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
        const cap = this.#capture;
        if (cap && this.#captured < cap.length) {
          const k = Math.min(take, cap.length - this.#captured);
          buf.copy(cap, this.#captured, i, i + k);
          this.#captured += k;
        }
        i += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#endFrame();
        continue;
      }
      if (n - i < 2) {
        this.#pending = Buffer.from(buf.subarray(i));
        return;
      }
      const b0 = buf[i]!;
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
      i += hl;
      this.#op = b0 & 0x0f;
      this.#len = len;
      this.#remaining = len;
      this.#startCapture();
      if (len === 0) this.#endFrame();
    }
  }

  #startCapture(): void {
    const op = this.#op;
    let want = 0;
    if (op >= 0x8) want = this.#len; // control frames are at most 125 bytes
    else if (this.#phase === 1) want = Math.min(this.#len, CAPTURE_HANDSHAKE);
    else if (this.#wire === 'socketio' && this.#len === 1) want = 1;
    else if (this.#ping && this.#len === this.#ping.length) want = this.#len;
    else if (this.#counters.latency) want = Math.min(this.#len, CAPTURE_LATENCY);
    this.#capture = want > 0 ? Buffer.allocUnsafe(want) : null;
    this.#captured = 0;
  }

  #endFrame(): void {
    const op = this.#op;
    const cap = this.#capture;
    this.#capture = null;
    if (op >= 0x8) {
      if (op === OP_PING) this.socket.write(maskedFrame(OP_PONG, cap ?? Buffer.alloc(0)));
      else if (op === OP_CLOSE && !this.#closing) {
        if (this.#phase === 2) this.#counters.unexpectedCloses++;
        this.#closing = true;
        const code = cap && cap.length >= 2 ? cap.readUInt16BE(0) : 1005;
        this.#fail(new Error(`server closed the connection (${code} ${cap ? cap.toString('utf8', 2) : ''})`));
        this.socket.end(maskedFrame(OP_CLOSE, Buffer.alloc(0)));
      }
      return;
    }
    if (this.#phase === 1) {
      this.#appHandshake(cap);
      return;
    }
    if (this.#phase !== 2 || op === OP_CONT) return;
    if (this.#wire === 'socketio' && this.#len === 1 && cap && cap[0] === 0x32) {
      this.socket.write(maskedFrame(OP_TEXT, Buffer.from('3'))); // engine.io pong
      return;
    }
    if (this.#ping && cap && this.#len === this.#ping.length && cap.equals(this.#ping)) return; // server keep-alive
    const c = this.#counters;
    c.frames++;
    c.bytes += this.#len;
    if (this.#len < c.minLen) c.minLen = this.#len;
    if (this.#len > c.maxLen) c.maxLen = this.#len;
    if (c.latency && cap) {
      const at = cap.indexOf(STAMP);
      if (at < 0) {
        c.badStamps++;
        return;
      }
      let t = 0;
      let k = at + 3;
      for (; k < cap.length; k++) {
        const d = cap[k]!;
        if (d < 0x30 || d > 0x39) break;
        t = t * 10 + (d - 0x30);
      }
      if (k >= cap.length || cap[k] !== 0x3b) c.badStamps++;
      else c.samples.push(nowUs - t);
    }
  }

  #appHandshake(cap: Buffer | null): void {
    const text = cap ? cap.toString('utf8') : '';
    if (this.#signalr) {
      // The handshake reply is JSON on both protocols: `{}` + 0x1E, or `{"error":…}`.
      if (text.startsWith('{}\u001e')) this.#open();
      else this.#fail(new Error(`SignalR handshake refused: ${text.slice(0, 200)}`));
      return;
    }
    if (this.#wire === 'socketio') {
      if (text.startsWith('0')) this.socket.write(maskedFrame(OP_TEXT, Buffer.from('40')));
      else if (text.startsWith('40')) this.#open();
      else if (text.startsWith('44')) this.#fail(new Error(`socket.io connect error: ${text}`));
      return;
    }
    // json.webpubsub.azure.v1: the first frame must be the `connected` system message.
    try {
      const m = JSON.parse(text) as { type?: string; event?: string; connectionId?: string };
      if (m.type === 'system' && m.event === 'connected') {
        this.connectionId = m.connectionId;
        this.#open();
        return;
      }
    } catch {
      // fall through
    }
    this.#fail(new Error(`expected the connected system message, got: ${text.slice(0, 200)}`));
  }
}
