/**
 * One client of the reconnect-storm row, with the session recovery each side offers:
 * - Lapis, `json.reliable.webpubsub.azure.v1`: it keeps the `connected` message's connection id and
 *   reconnection token, acknowledges what it receives (`sequenceAck`), and recovers by reopening
 *   its URL with `awps_connection_id` + `awps_reconnection_token`. Recovered = the socket opens and
 *   a `ping` gets its `pong` (a failed recovery answers `disconnected` and closes with 1008).
 * - Socket.IO 4 with `connectionStateRecovery`: it keeps its session id, the `pid` of the CONNECT
 *   answer and the offset of the last event, and recovers with `40{"pid","offset"}`. Recovered = the
 *   server answers with the same session id (a new session gets a new one).
 * The official clients do the same on the wire; this one is the `ws` library plus those few frames,
 * so that 10,000 of them fit on the load core.
 */
import WebSocket from 'ws';

export type StormKind = 'lapis-reliable' | 'socketio-recovery';

export interface Attempt {
  /** Whether the server resumed the earlier session (false: a new session). */
  recovered: boolean;
}

const RELIABLE = 'json.reliable.webpubsub.azure.v1';

export class StormClient {
  readonly #kind: StormKind;
  readonly #url: string;
  readonly #localAddress: string | undefined;
  #ws: WebSocket | undefined;
  /** Lapis: connection id and reconnection token; Socket.IO: session id and pid. */
  #id = '';
  #secret = '';
  /** Lapis: last sequence id; Socket.IO: last event offset. */
  #position = '';
  /** Data messages received since the client was created. */
  received = 0;

  constructor(kind: StormKind, url: string, localAddress?: string) {
    this.#kind = kind;
    this.#url = url;
    this.#localAddress = localAddress;
  }

  get open(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /** A first connection (no session to recover). */
  connect(timeoutMs: number): Promise<Attempt> {
    return this.#attempt(false, timeoutMs);
  }

  /** Reconnects, asking the server to resume the session. */
  recover(timeoutMs: number): Promise<Attempt> {
    return this.#attempt(true, timeoutMs);
  }

  /** The network drops: the socket is destroyed without a close handshake. */
  drop(): void {
    this.#ws?.terminate();
    this.#ws = undefined;
  }

  close(): void {
    this.#ws?.terminate();
    this.#ws = undefined;
  }

  #attempt(recover: boolean, timeoutMs: number): Promise<Attempt> {
    const lapis = this.#kind === 'lapis-reliable';
    const url = recover && lapis
      ? `${this.#url}&awps_connection_id=${encodeURIComponent(this.#id)}&awps_reconnection_token=${encodeURIComponent(this.#secret)}`
      : this.#url;
    const ws = new WebSocket(url, lapis ? [RELIABLE] : [], { localAddress: this.#localAddress, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    this.#ws = ws;
    return new Promise<Attempt>((resolve, reject) => {
      let settled = false;
      const done = (err: Error | undefined, a?: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          ws.terminate();
          reject(err);
        } else resolve(a!);
      };
      const timer = setTimeout(() => done(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      ws.on('error', (err) => done(err));
      ws.on('close', (code) => done(new Error(`closed (${code})`)));
      if (lapis && recover) ws.on('open', () => ws.send('{"type":"ping"}'));
      ws.on('message', (raw) => {
        const text = raw.toString();
        if (lapis) this.#lapisMessage(ws, text, done);
        else this.#socketIoMessage(ws, text, recover, done);
      });
    });
  }

  #lapisMessage(ws: WebSocket, text: string, done: (err: Error | undefined, a?: Attempt) => void): void {
    const m = JSON.parse(text) as { type: string; event?: string; connectionId?: string; reconnectionToken?: string; sequenceId?: number; message?: string };
    if (m.type === 'pong') done(undefined, { recovered: true });
    else if (m.type === 'system' && m.event === 'connected') {
      this.#id = m.connectionId!;
      this.#secret = m.reconnectionToken!;
      done(undefined, { recovered: false });
    } else if (m.type === 'system' && m.event === 'disconnected') done(new Error(`disconnected: ${m.message}`));
    else if (m.type === 'message') {
      this.received++;
      if (m.sequenceId !== undefined) {
        this.#position = String(m.sequenceId);
        ws.send(`{"type":"sequenceAck","sequenceId":${m.sequenceId}}`);
      }
    }
  }

  #socketIoMessage(ws: WebSocket, text: string, recover: boolean, done: (err: Error | undefined, a?: Attempt) => void): void {
    if (text === '2') ws.send('3'); // engine.io ping
    else if (text.startsWith('0')) {
      ws.send(recover ? `40${JSON.stringify({ pid: this.#secret, offset: this.#position })}` : '40');
    } else if (text.startsWith('40')) {
      const answer = JSON.parse(text.slice(2)) as { sid: string; pid?: string };
      const recovered = recover && answer.sid === this.#id;
      this.#id = answer.sid;
      this.#secret = answer.pid ?? '';
      done(undefined, { recovered });
    } else if (text.startsWith('44')) done(new Error(`connect error: ${text.slice(2, 200)}`));
    else if (text.startsWith('42')) {
      this.received++;
      // With connectionStateRecovery the server appends each event's offset as its last argument.
      const args = JSON.parse(text.slice(2)) as unknown[];
      const offset = args[args.length - 1];
      if (typeof offset === 'string') this.#position = offset;
    }
  }
}
