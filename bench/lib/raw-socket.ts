/**
 * The part every raw load-generator receiver shares (WebSocket frames, SignalR records, Server-Sent
 * Events): a TCP socket that writes its own HTTP request, reads the response head, then hands every
 * later byte to the subclass. It reads into one process-wide buffer (net's `onread`): no per-read
 * allocation and no stream machinery, which is safe because each read is processed synchronously
 * (subclasses copy the bytes they keep).
 */
import net from 'node:net';

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const MAX_HEAD = 8192;

/** What a receiver reports to its process's counters. */
export interface ReadCounters {
  reads: number;
  unexpectedCloses: number;
}

export interface RawSocketOptions {
  port: number;
  localAddress?: string;
  /** The whole request head, ending in an empty line. */
  request: string;
  /** The status the response must have (`101` for an upgrade, `200` for an event stream). */
  expectStatus: string;
  counters: ReadCounters;
  /** Give up on the handshake after this long. */
  timeoutMs: number;
}

/** Phases: 0 = response head, 1 = application handshake, 2 = counting, 3 = closed. */
export abstract class RawSocketClient {
  readonly socket: net.Socket;
  readonly ready: Promise<void>;
  protected phase = 0;
  protected closing = false;
  protected readonly readCounters: ReadCounters;
  readonly #expectStatus: string;
  #head: Buffer | null = Buffer.alloc(0);
  #resolve!: () => void;
  #reject!: (err: Error) => void;

  constructor(o: RawSocketOptions) {
    this.readCounters = o.counters;
    this.#expectStatus = o.expectStatus;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const timer = setTimeout(() => this.fail(new Error(`handshake timeout after ${o.timeoutMs} ms`)), o.timeoutMs);
    this.ready.then(() => clearTimeout(timer), () => clearTimeout(timer));
    const socket = net.connect({
      host: '127.0.0.1',
      port: o.port,
      localAddress: o.localAddress,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => (this.#onRead(Buffer.from(buf.buffer, buf.byteOffset, n)), true) },
    });
    this.socket = socket;
    socket.on('connect', () => socket.write(o.request));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      if (this.phase === 2 && !this.closing) this.readCounters.unexpectedCloses++;
      if (this.phase < 2) this.fail(new Error('connection closed during the handshake'));
      this.phase = 3;
    });
  }

  get open(): boolean {
    return this.phase === 2;
  }

  close(): void {
    this.closing = true;
    this.socket.destroy();
  }

  /** Ends a handshake that went wrong (nothing once counting has begun: then a close is counted). */
  protected fail(err: Error): void {
    if (this.phase >= 2) return;
    this.phase = 3;
    this.closing = true;
    this.socket.destroy();
    this.#reject(err);
  }

  /** The handshake is done: counting begins. */
  protected opened(): void {
    this.phase = 2;
    this.#resolve();
  }

  /** Called once, when the response head was accepted (e.g. to send an application handshake). */
  protected abstract afterHead(): void;

  /** Every byte after the response head, as it arrives. */
  protected abstract received(chunk: Buffer): void;

  /** Whether the connection ended (afterHead may have failed it). */
  #closed(): boolean {
    return this.phase === 3;
  }

  #onRead(chunk: Buffer): void {
    this.readCounters.reads++;
    if (this.phase === 0) {
      const all = Buffer.concat([this.#head!, chunk]);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        if (all.length > MAX_HEAD) this.fail(new Error('response head too long'));
        else this.#head = all;
        return;
      }
      this.#head = null;
      if (all.toString('latin1', 9, 12) !== this.#expectStatus) {
        this.fail(new Error(`request refused: ${all.toString('utf8', 0, Math.min(all.length, 400)).replace(/\r\n/g, ' | ')}`));
        return;
      }
      this.afterHead();
      chunk = all.subarray(end + 4);
      if (chunk.length === 0 || this.#closed()) return;
    }
    this.received(chunk);
  }
}

/** The upgrade GET of a WebSocket client (the key is fixed: the server's accept value is not checked). */
export function upgradeRequest(port: number, path: string, extraHeaders = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`;
}
