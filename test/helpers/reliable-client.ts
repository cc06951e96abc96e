/**
 * A reliable Web PubSub test client that follows the client spec's reliability rules by hand —
 * keep the largest sequence id seen, drop anything at or below it, ack with `sequenceAck`,
 * recover with `awps_connection_id` + `awps_reconnection_token` — over any wire codec, so the
 * same fault tests run for reliable JSON and reliable protobuf. Everything is recorded (every
 * frame of every socket, what the app would see, every ack) so tests can assert exactly-once,
 * in-order delivery across sockets.
 */
import { WebSocket } from 'ws';

/** Client → service messages, codec-neutral (text payloads keep the codecs comparable). */
export type Up =
  | { type: 'joinGroup' | 'leaveGroup'; group: string; ackId?: number }
  | { type: 'sendToGroup'; group: string; data: string; ackId?: number; noEcho?: boolean }
  | { type: 'event'; event: string; data: string; ackId?: number }
  | { type: 'sequenceAck'; sequenceId: number }
  | { type: 'ping' };

/** Service → client messages, codec-neutral. */
export type Down =
  | { type: 'connected'; connectionId: string; userId?: string | null; reconnectionToken?: string }
  | { type: 'disconnected'; message: string }
  | { type: 'ack'; ackId: number; success: boolean; error?: { name: string; message: string } }
  | { type: 'message'; sequenceId?: number; from: string; group?: string; data: string }
  | { type: 'pong' }
  | { type: 'other'; raw: unknown };

export interface WireCodec {
  /** For test names: "reliable JSON", "reliable protobuf". */
  readonly name: string;
  /** The WebSocket subprotocol. */
  readonly protocol: string;
  encode(message: Up): string | Uint8Array;
  decode(data: Buffer, isBinary: boolean): Down;
}

export const jsonReliableCodec: WireCodec = {
  name: 'reliable JSON',
  protocol: 'json.reliable.webpubsub.azure.v1',
  encode(m) {
    if (m.type === 'sendToGroup' || m.type === 'event') return JSON.stringify({ ...m, dataType: 'text' });
    return JSON.stringify(m);
  },
  decode(data, isBinary) {
    if (isBinary) return { type: 'other', raw: data };
    const m = JSON.parse(data.toString('utf8')) as Record<string, any>;
    if (m.type === 'system' && m.event === 'connected') return { type: 'connected', connectionId: m.connectionId, userId: m.userId, reconnectionToken: m.reconnectionToken };
    if (m.type === 'system' && m.event === 'disconnected') return { type: 'disconnected', message: m.message };
    if (m.type === 'ack') return { type: 'ack', ackId: m.ackId, success: m.success, error: m.error };
    if (m.type === 'message') {
      const data = typeof m.data === 'string' ? m.data : JSON.stringify(m.data);
      return { type: 'message', sequenceId: m.sequenceId, from: m.from, group: m.group, data };
    }
    if (m.type === 'pong') return { type: 'pong' };
    return { type: 'other', raw: m };
  },
};

export interface Delivered {
  sequenceId: number;
  from: string;
  group?: string;
  data: string;
}

/** One WebSocket of the logical connection, with what it carried. */
export interface Socket {
  ws: WebSocket;
  frames: Down[];
  closed: Promise<{ code: number; reason: string }>;
}

export class HandshakeRefused extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`HTTP ${status}: ${body.trim()}`);
    this.status = status;
  }
}

export class ReliableTestClient {
  readonly codec: WireCodec;
  /** The URL of the first connect (recovery reuses it, as the SDK does). */
  readonly url: string;
  connectionId = '';
  reconnectionToken = '';
  /** Every socket of this logical connection, oldest first. */
  readonly sockets: Socket[] = [];
  /** What the application sees: each sequence id once, in order. */
  readonly delivered: Delivered[] = [];
  /** Data frames that carried an id already seen (a replay of something received): dropped, as the spec says. */
  readonly duplicatesDropped: number[] = [];
  readonly acks: Array<Extract<Down, { type: 'ack' }>> = [];
  #maxSequenceId = 0;
  #listeners = new Set<() => void>();

  private constructor(codec: WireCodec, url: string) {
    this.codec = codec;
    this.url = url;
  }

  /** A new logical connection; resolves once `connected` arrived. */
  static async connect(codec: WireCodec, url: string): Promise<ReliableTestClient> {
    const c = new ReliableTestClient(codec, url);
    const s = await c.#open(url);
    const connected = await c.waitFor(() => s.frames.find((f) => f.type === 'connected'));
    if (connected.type !== 'connected') throw new Error('unreachable');
    c.connectionId = connected.connectionId;
    c.reconnectionToken = connected.reconnectionToken ?? '';
    return c;
  }

  /** The current (newest) socket. */
  get socket(): Socket {
    return this.sockets.at(-1)!;
  }

  get maxSequenceId(): number {
    return this.#maxSequenceId;
  }

  /** The recovery URL for this connection (or for `connectionId`/`token` given instead). */
  recoveryUrl(over: { connectionId?: string; token?: string; url?: string } = {}): string {
    const u = new URL(over.url ?? this.url);
    u.searchParams.set('awps_connection_id', over.connectionId ?? this.connectionId);
    u.searchParams.set('awps_reconnection_token', over.token ?? this.reconnectionToken);
    return u.toString();
  }

  /** Recovers the logical connection on a new socket (the old one is dropped first if still open). */
  async reconnect(over: { connectionId?: string; token?: string; url?: string } = {}): Promise<Socket> {
    const old = this.sockets.at(-1);
    if (old && old.ws.readyState !== WebSocket.CLOSED) old.ws.terminate();
    return this.#open(this.recoveryUrl(over));
  }

  send(m: Up): void {
    this.socket.ws.send(this.codec.encode(m));
  }

  join(group: string, ackId?: number): void {
    this.send({ type: 'joinGroup', group, ackId });
  }

  sendToGroup(group: string, data: string, ackId?: number, noEcho?: boolean): void {
    this.send({ type: 'sendToGroup', group, data, ackId, noEcho });
  }

  event(event: string, data: string, ackId?: number): void {
    this.send({ type: 'event', event, data, ackId });
  }

  /** Acks everything received so far (or `sequenceId`, for tests of wrong acks). */
  sequenceAck(sequenceId = this.#maxSequenceId): void {
    this.send({ type: 'sequenceAck', sequenceId });
  }

  /** Resolves with the ack for `ackId` (the first one after `after` acks, to tell resends apart). */
  ack(ackId: number, after = 0): Promise<Extract<Down, { type: 'ack' }>> {
    return this.waitFor(() => this.acks.slice(after).find((a) => a.ackId === ackId));
  }

  close(code?: number): Promise<{ code: number; reason: string }> {
    this.socket.ws.close(code);
    return this.socket.closed;
  }

  /** Resolves once `check` returns something truthy (checked on every frame; fails after `timeoutMs`). */
  waitFor<T>(check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const now = check();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const listener = () => {
        const v = check();
        if (!v) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new Error(`timed out waiting (${this.codec.name}, ${this.delivered.length} delivered, max id ${this.#maxSequenceId})`));
      }, timeoutMs);
      this.#listeners.add(listener);
    });
  }

  /** Resolves once `n` messages were delivered to the application. */
  deliveredCount(n: number, timeoutMs?: number): Promise<Delivered[]> {
    return this.waitFor(() => this.delivered.length >= n && this.delivered, timeoutMs);
  }

  #open(url: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, this.codec.protocol, { perMessageDeflate: false });
      const socket: Socket = {
        ws,
        frames: [],
        closed: new Promise((r) => ws.on('close', (code, reason) => {
          r({ code, reason: reason.toString() });
          this.#notify();
        })),
      };
      ws.on('message', (data, isBinary) => {
        const frame = this.codec.decode(data as Buffer, isBinary);
        socket.frames.push(frame);
        this.#receive(frame);
        this.#notify();
      });
      ws.once('open', () => {
        this.sockets.push(socket);
        resolve(socket);
      });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(new HandshakeRefused(res.statusCode ?? 0, body)));
      });
      ws.on('error', (err) => {
        if (ws.readyState === WebSocket.CONNECTING) reject(err);
      });
    });
  }

  #receive(frame: Down): void {
    if (frame.type === 'ack') this.acks.push(frame);
    if (frame.type !== 'message') return;
    const id = frame.sequenceId;
    if (id === undefined) throw new Error('a reliable data message without a sequence id');
    if (id <= this.#maxSequenceId) {
      this.duplicatesDropped.push(id);
      return;
    }
    this.#maxSequenceId = id;
    this.delivered.push({ sequenceId: id, from: frame.from, group: frame.group, data: frame.data });
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }
}
