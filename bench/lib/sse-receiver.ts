/**
 * A thin SignalR client on the Server-Sent Events transport over a raw TCP socket, in the spirit
 * of wsframe.ts: it writes the event-stream GET itself, POSTs the hub-protocol handshake on the
 * connection URL (as the JS client does once the stream is open), waits for the `{}` reply, then
 * only counts JSON hub messages: every message ends with one 0x1E, which JSON text never contains
 * raw, so the count survives `data:` lines and HTTP chunk framing without parsing either.
 * Server keep-alive Pings (`{"type":6}`) are not counted.
 */
import net from 'node:net';
import type { Counters } from './counters.ts';
import type { HttpClient } from './rawhttp.ts';
import { connectionPath, connectionPost, handshakeMessage, pingMessage, RECORD_SEPARATOR } from './signalr.ts';
import type { SignalREndpoint } from './signalr.ts';

const PING = Buffer.from('{"type":6}');
const MAX_HEAD = 8192;
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export interface SseOptions {
  ep: SignalREndpoint;
  localAddress?: string;
  connectionToken: string;
  /** The client access token: in the query on the GET (EventSource cannot set headers), a bearer header on POSTs. */
  token: string;
  /** Keep-alive connection(s) that carry this process's POSTs. */
  http: HttpClient;
  counters: Counters;
  timeoutMs: number;
}

export class SseReceiver {
  readonly socket: net.Socket;
  readonly ready: Promise<void>;
  readonly #o: SseOptions;
  /** The public connection id (from the negotiate). */
  connectionId: string | undefined;
  /** 0 = response head, 1 = waiting for the handshake reply, 2 = counting, 3 = closed. */
  #phase = 0;
  #head: Buffer | null = Buffer.alloc(0);
  #closing = false;
  /** Bytes since the last separator (message size, framing included). */
  #sinceSeparator = 0;
  #resolve!: () => void;
  #reject!: (err: Error) => void;

  constructor(o: SseOptions) {
    this.#o = o;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const timer = setTimeout(() => this.#fail(new Error(`SSE start timeout after ${o.timeoutMs} ms`)), o.timeoutMs);
    this.ready.then(() => clearTimeout(timer), () => clearTimeout(timer));
    const socket = net.connect({
      host: '127.0.0.1',
      port: o.ep.port,
      localAddress: o.localAddress,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => (this.#onData(Buffer.from(buf.buffer, buf.byteOffset, n)), true) },
    });
    this.socket = socket;
    socket.on('connect', () => {
      socket.write(`GET ${connectionPath(o.connectionToken)}&access_token=${o.token} HTTP/1.1\r\nHost: 127.0.0.1:${o.ep.port}\r\n` +
        'Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n');
    });
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => {
      if (this.#phase === 2 && !this.#closing) o.counters.unexpectedCloses++;
      if (this.#phase < 2) this.#fail(new Error('connection closed before the handshake'));
      this.#phase = 3;
    });
  }

  get open(): boolean {
    return this.#phase === 2;
  }

  /** A client Ping POSTed on the connection URL (the server drops clients silent for 30 s). */
  keepAlive(): void {
    if (this.#phase !== 2) return;
    this.#o.http.request(connectionPost(this.#o.ep, this.#o.connectionToken, this.#o.token, pingMessage('json')), () => {});
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
    const c = this.#o.counters;
    c.reads++;
    if (this.#phase === 0) {
      const all = Buffer.concat([this.#head!, chunk]);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        if (all.length > MAX_HEAD) this.#fail(new Error('SSE response head too long'));
        else this.#head = all;
        return;
      }
      this.#head = null;
      if (all.toString('latin1', 9, 12) !== '200') {
        this.#fail(new Error(`SSE GET refused: ${all.toString('utf8', 0, Math.min(all.length, 400)).replace(/\r\n/g, ' | ')}`));
        return;
      }
      this.#phase = 1;
      const o = this.#o;
      o.http.request(connectionPost(o.ep, o.connectionToken, o.token, handshakeMessage('json')), (status, body) => {
        if (status !== 200) this.#fail(new Error(`SSE handshake POST answered ${status}: ${body.slice(0, 200)}`));
      });
      chunk = all.subarray(end + 4);
    }
    if (this.#phase === 1) {
      const sep = chunk.indexOf(RECORD_SEPARATOR);
      if (sep < 0) return; // the `:` comment that opens the stream
      const text = chunk.toString('utf8', 0, sep);
      if (!text.endsWith('{}')) {
        this.#fail(new Error(`SignalR handshake refused: ${text.slice(0, 200)}`));
        return;
      }
      this.#phase = 2;
      this.#resolve();
      chunk = chunk.subarray(sep + 1);
    }
    if (this.#phase !== 2) return;
    let from = 0;
    for (;;) {
      const at = chunk.indexOf(RECORD_SEPARATOR, from);
      if (at < 0) break;
      if (at >= PING.length && chunk.compare(PING, 0, PING.length, at - PING.length, at) === 0) {
        this.#sinceSeparator = 0;
        from = at + 1;
        continue;
      }
      const len = this.#sinceSeparator + at - from + 1;
      this.#sinceSeparator = 0;
      c.frames++;
      if (len < c.minLen) c.minLen = len;
      if (len > c.maxLen) c.maxLen = len;
      from = at + 1;
    }
    this.#sinceSeparator += chunk.length - from;
    c.bytes += chunk.length;
  }
}
