// A minimal, recording stand-in for the Azure SignalR service side of default mode, used to learn
// what the real .NET app-server SDK does: it accepts server connections at /server/?hub=…, records
// the upgrade (URL, headers, token claims), every service-protocol message in both directions
// (VarInt length prefix + one MessagePack array, parsed across WebSocket frames), answers the
// handshake and *WithAck messages, pings, and serves GET /api/v1/auth/accessKey with a chosen answer.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { decode, encode } from '@msgpack/msgpack';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

export interface Recorded {
  /** ms since the stand-in started */
  at: number;
  dir: 'in' | 'out';
  type: number;
  msg: unknown[];
}

export interface ServerConnection {
  id: number;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  tokenHeader?: Record<string, unknown>;
  tokenClaims?: Record<string, unknown>;
  /** The bytes of the first WebSocket frame the SDK sent (the handshake), hex. */
  firstFrameHex?: string;
  frames: number;
  /** Per inbound WebSocket frame: its size, how many messages it completed, bytes left over. */
  frameLog: { size: number; completed: number; leftover: number }[];
  messages: Recorded[];
  closed?: { code: number; reason: string; at: number };
  send(msg: unknown[]): void;
  close(code?: number): void;
}

export interface AccessKeyRequest {
  at: number;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  tokenClaims?: Record<string, unknown>;
}

export interface StandinOptions {
  /** PEM certificate chain and key; plain HTTP without. */
  tls?: { cert: string; key: string };
  /** Answer to GET /api/v1/auth/accessKey. */
  accessKey?: () => { status: number; body: string };
  /** First message sent after the handshake request; default [2, ""]. null = never answer. */
  handshakeResponse?: unknown[] | null;
  /** Interval of the stand-in's Ping [3]; 0 = never ping. */
  pingIntervalMs?: number;
  /** Ack status for *WithAck messages (1 Ok); null = never ack. */
  ackStatus?: number | null;
  /** Refuse /server/ upgrades with this HTTP status instead of accepting them. */
  rejectUpgrade?: number;
  /** Answer the SDK's ["shutdown","fin:…"] ping with ["shutdown","finack"]. */
  answerFinack?: boolean;
}

/** Message types carrying an ackId, and the index of that id in the array. */
const ACK_INDEX: Record<number, number> = { 18: 3, 19: 3, 21: 3, 23: 2, 24: 2, 25: 2, 26: 3, 27: 3, 30: 3, 31: 2, 32: 3, 33: 3 };

/**
 * MessagePack of one service message. @msgpack/msgpack writes a JS Map as an empty map and object
 * keys as strings, but the protocol's extension maps have integer keys: a Map element is written
 * entry by entry here (MessagePack is concatenative, so the pieces join into one array).
 */
export function encodeMessage(msg: unknown[]): Buffer {
  const parts: Uint8Array[] = [Buffer.from(msg.length < 16 ? [0x90 | msg.length] : [0xdc, msg.length >> 8, msg.length & 0xff])];
  for (const element of msg) {
    if (element instanceof Map) {
      parts.push(Buffer.from(element.size < 16 ? [0x80 | element.size] : [0xde, element.size >> 8, element.size & 0xff]));
      for (const [k, v] of element) parts.push(encode(k), encode(v));
    } else {
      parts.push(encode(element));
    }
  }
  return Buffer.concat(parts);
}

export function frame(msg: unknown[]): Buffer {
  const body = encodeMessage(msg);
  const prefix: number[] = [];
  let n = body.length;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n > 0) b |= 0x80;
    prefix.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from(prefix), body]);
}

/** Splits complete length-prefixed messages off `buf`; returns them and the unconsumed rest. */
export function unframe(buf: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let offset = 0;
  for (;;) {
    let length = 0;
    let shift = 0;
    let i = offset;
    let complete = false;
    while (i < buf.length && shift < 35) {
      const b = buf[i++]!;
      length |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) { complete = true; break; }
    }
    if (!complete || i + length > buf.length) break;
    messages.push(buf.subarray(i, i + length));
    offset = i + length;
  }
  return { messages, rest: buf.subarray(offset) };
}

function claimsOf(auth: string | string[] | undefined): { header?: Record<string, unknown>; claims?: Record<string, unknown> } {
  const value = Array.isArray(auth) ? auth[0] : auth;
  const token = value?.replace(/^Bearer\s+/i, '');
  if (!token) return {};
  try {
    return { header: decodeProtectedHeader(token) as Record<string, unknown>, claims: decodeJwt(token) as Record<string, unknown> };
  } catch {
    return {};
  }
}

export class ServiceStandin {
  readonly connections: ServerConnection[] = [];
  readonly accessKeyRequests: AccessKeyRequest[] = [];
  readonly rejectedUpgrades: { at: number; url: string }[] = [];
  readonly origin: string;
  private readonly started = Date.now();
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(server: Server, wss: WebSocketServer, origin: string) {
    this.server = server;
    this.wss = wss;
    this.origin = origin;
  }

  static async start(opts: StandinOptions = {}): Promise<ServiceStandin> {
    const handler = (req: IncomingMessage, res: ServerResponse) => standin.onHttp(req, res);
    const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : createHttpServer(handler);
    const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const standin: ServiceStandin = new ServiceStandin(server, wss, `${opts.tls ? 'https' : 'http'}://localhost:${port}`);
    standin.opts = opts;
    server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/server/')) { socket.destroy(); return; }
      if (opts.rejectUpgrade) {
        standin.rejectedUpgrades.push({ at: standin.now(), url: req.url });
        socket.end(`HTTP/1.1 ${opts.rejectUpgrade} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => standin.onServerConnection(req, ws));
    });
    return standin;
  }

  private opts: StandinOptions = {};

  now(): number {
    return Date.now() - this.started;
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET' && req.url?.startsWith('/api/v1/auth/accessKey')) {
      this.accessKeyRequests.push({ at: this.now(), url: req.url, headers: req.headers, tokenClaims: claimsOf(req.headers.authorization).claims });
      const answer = this.opts.accessKey?.() ?? { status: 200, body: JSON.stringify({ KeyId: 'standin-kid', AccessKey: 'standin-access-key-0123456789abcdef' }) };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      return;
    }
    res.writeHead(404).end();
  }

  private onServerConnection(req: IncomingMessage, ws: WebSocket): void {
    const token = claimsOf(req.headers.authorization);
    const conn: ServerConnection = {
      id: this.connections.length + 1,
      url: req.url ?? '',
      headers: req.headers,
      tokenHeader: token.header,
      tokenClaims: token.claims,
      frames: 0,
      frameLog: [],
      messages: [],
      send: (msg) => {
        conn.messages.push({ at: this.now(), dir: 'out', type: msg[0] as number, msg });
        ws.send(frame(msg));
      },
      close: (code = 1000) => ws.close(code),
    };
    this.connections.push(conn);
    let buffered: Buffer = Buffer.alloc(0);
    ws.on('message', (data: Buffer) => {
      conn.frames++;
      if (conn.firstFrameHex === undefined) conn.firstFrameHex = data.toString('hex');
      const { messages, rest } = unframe(Buffer.concat([buffered, data]));
      buffered = rest;
      conn.frameLog.push({ size: data.length, completed: messages.length, leftover: rest.length });
      for (const body of messages) this.onMessage(conn, decode(body) as unknown[]);
    });
    ws.on('close', (code, reason) => {
      conn.closed = { code, reason: reason.toString(), at: this.now() };
      if (ping) { clearInterval(ping); this.timers.delete(ping); }
    });
    const interval = this.opts.pingIntervalMs ?? 5_000;
    const ping = interval > 0 ? setInterval(() => conn.send([3]), interval) : undefined;
    if (ping) this.timers.add(ping);
  }

  private onMessage(conn: ServerConnection, msg: unknown[]): void {
    const type = msg[0] as number;
    conn.messages.push({ at: this.now(), dir: 'in', type, msg });
    if (type === 1) {
      const answer = this.opts.handshakeResponse === undefined ? [2, ''] : this.opts.handshakeResponse;
      if (answer) conn.send(answer);
      return;
    }
    if (type === 3 && msg[1] === 'shutdown' && String(msg[2]).startsWith('fin:') && this.opts.answerFinack) {
      conn.send([3, 'shutdown', 'finack']);
      return;
    }
    const ackAt = ACK_INDEX[type];
    const status = this.opts.ackStatus === undefined ? 1 : this.opts.ackStatus;
    if (ackAt !== undefined && status !== null) conn.send([20, msg[ackAt], status, '', {}]);
  }

  /** All recorded messages of every connection, oldest first. */
  allMessages(): (Recorded & { conn: number })[] {
    return this.connections.flatMap((c) => c.messages.map((m) => ({ ...m, conn: c.id }))).sort((a, b) => a.at - b.at);
  }

  /** Polls until `predicate` holds (or throws after `timeoutMs`). */
  async waitFor<T>(what: string, predicate: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`stand-in: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A framed JSON hub-protocol message (the payload of ConnectionData for a JSON client). */
export function jsonHubFrame(message: object): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(message)}\x1e`);
}

/** Short description of a message for transcripts: binary payloads shown as text when printable. */
export function describe(msg: unknown[]): string {
  return JSON.stringify(readable(msg));
}

function readable(v: unknown): unknown {
  if (v instanceof Uint8Array) {
    const text = Buffer.from(v).toString('utf8');
    return /^[\x20-\x7e\x1e\r\n\t]*$/.test(text) ? `bin:${text.replaceAll('\x1e', '<RS>')}` : `bin(hex):${Buffer.from(v).toString('hex')}`;
  }
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return v.map(readable);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [`${typeof k === 'number' ? '#' : ''}${String(k)}`, readable(x)]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, readable(x)]));
  return v;
}
