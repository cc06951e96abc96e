/**
 * A thin SignalR client on the Server-Sent Events transport over a raw TCP socket, in the spirit
 * of wsframe.ts: it writes the event-stream GET itself, POSTs the hub-protocol handshake on the
 * connection URL (as the JS client does once the stream is open), waits for the `{}` reply, then
 * only counts JSON hub messages: every message ends with one 0x1E, which JSON text never contains
 * raw, so the count survives `data:` lines and HTTP chunk framing without parsing either.
 * Server keep-alive Pings (`{"type":6}`) are not counted.
 */
import type { Counters } from './counters.ts';
import { RawSocketClient } from './raw-socket.ts';
import type { HttpClient } from './rawhttp.ts';
import { connectionPath, connectionPost, handshakeMessage, pingMessage, RECORD_SEPARATOR } from './signalr.ts';
import type { SignalREndpoint } from './signalr.ts';

const PING = Buffer.from('{"type":6}');

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

export class SseReceiver extends RawSocketClient {
  readonly #o: SseOptions;
  /** The public connection id (from the negotiate). */
  connectionId: string | undefined;
  /** Bytes since the last separator (message size, framing included). */
  #sinceSeparator = 0;

  constructor(o: SseOptions) {
    super({
      port: o.ep.port,
      localAddress: o.localAddress,
      request: `GET ${connectionPath(o.connectionToken)}&access_token=${o.token} HTTP/1.1\r\nHost: 127.0.0.1:${o.ep.port}\r\n` +
        'Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n',
      expectStatus: '200',
      counters: o.counters,
      timeoutMs: o.timeoutMs,
    });
    this.#o = o;
  }

  /** A client Ping POSTed on the connection URL (the server drops clients silent for 30 s). */
  keepAlive(): void {
    if (this.phase !== 2) return;
    this.#o.http.request(connectionPost(this.#o.ep, this.#o.connectionToken, this.#o.token, pingMessage('json')), () => {});
  }

  protected afterHead(): void {
    this.phase = 1;
    const o = this.#o;
    o.http.request(connectionPost(o.ep, o.connectionToken, o.token, handshakeMessage('json')), (status, body) => {
      if (status !== 200) this.fail(new Error(`SSE handshake POST answered ${status}: ${body.slice(0, 200)}`));
    });
  }

  protected received(chunk: Buffer): void {
    const c = this.#o.counters;
    if (this.phase === 1) {
      const sep = chunk.indexOf(RECORD_SEPARATOR);
      if (sep < 0) return; // the `:` comment that opens the stream
      const text = chunk.toString('utf8', 0, sep);
      if (!text.endsWith('{}')) {
        this.fail(new Error(`SignalR handshake refused: ${text.slice(0, 200)}`));
        return;
      }
      this.opened();
      chunk = chunk.subarray(sep + 1);
    }
    if (this.phase !== 2) return;
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
