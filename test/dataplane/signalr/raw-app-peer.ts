/**
 * A raw service-protocol peer playing an app server on `/server/?hub=` (what Microsoft.Azure.SignalR
 * does, by hand), for the lifecycle tests: open, handshake, read messages by kind, answer clients'
 * OpenConnection, keep alive or fall silent; the close reason. Also the tokens such a peer and its
 * clients present. (raw-app-server.ts is the smaller one the client-result tests use.)
 */
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { encodeServiceMessage, ServiceMessageReader, type ServiceMessage } from '../../../src/protocols/signalr-service/index.ts';

export type Kind = ServiceMessage['kind'];
export type Of<K extends Kind> = Extract<ServiceMessage, { kind: K }>;

export interface RawApp {
  ws: WebSocket;
  messages: ServiceMessage[];
  next<K extends Kind>(kind: K, timeoutMs?: number): Promise<Of<K>>;
  send(m: ServiceMessage): void;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Answers every OpenConnection with the hub handshake answer (`{}`), as the SDK's hub would. */
  answerClients(): void;
  /** Sends a Ping every `ms` (the SDK answers the service's pings; a silent peer does not). */
  keepAlive(ms?: number): void;
  close(): void;
}

/** `aud` as the SDK builds it: scheme and host of the endpoint, no port. */
export const hostAud = (endpoint: string, path: string) => { const u = new URL(endpoint); return `${u.protocol}//${u.hostname}${path}`; };

/** An access-key server token as the SDK signs it (HS256, a kid that names nothing). */
export const serverKeyToken = (endpoint: string, hub: string, key: string) => new SignJWT({ nameid: 'server-1' })
  .setProtectedHeader({ alg: 'HS256', kid: '-1145166901' }).setAudience(hostAud(endpoint, `/server/?hub=${hub}`))
  .setIssuer('azure-signalr').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(key));

export const clientKeyToken = (endpoint: string, hub: string, key: string, claims: Record<string, unknown> = {}) => new SignJWT(claims)
  .setProtectedHeader({ alg: 'HS256' }).setAudience(hostAud(endpoint, `/client/?hub=${hub}`)).setIssuedAt().setExpirationTime('1h')
  .sign(new TextEncoder().encode(key));

/** Opens `/server/?hub=`; resolves with the HTTP status when refused. */
export function openRaw(endpoint: string, hub: string, token: string | undefined, serverId = 'raw_server_1'): Promise<RawApp | number> {
  const url = `${endpoint.replace(/^http/, 'ws')}/server/?hub=${hub}&cid=${crypto.randomUUID()}`;
  const ws = new WebSocket(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'x-asrs-server-id': serverId } });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once('error', reject);
    ws.once('open', () => {
      const messages: ServiceMessage[] = [];
      const waiters: Array<() => void> = [];
      const reader = new ServiceMessageReader();
      let answering = false;
      let pinger: NodeJS.Timeout | undefined;
      const send = (m: ServiceMessage) => { if (ws.readyState === WebSocket.OPEN) ws.send(encodeServiceMessage(m)); };
      ws.on('message', (d: Buffer) => {
        for (const m of reader.push(d).messages) {
          if (answering && m.kind === 'OpenConnection') {
            send({ kind: 'ConnectionData', connectionId: m.connectionId, payload: Buffer.from('{}\u001e'), ext: { dataMessageType: 1 } });
          }
          messages.push(m);
        }
        for (const w of waiters.splice(0)) w();
      });
      const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => { clearInterval(pinger); r({ code, reason: reason.toString() }); }));
      const next = <K extends Kind>(kind: K, timeoutMs = 5000) => new Promise<Of<K>>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`no ${kind} within ${timeoutMs} ms; got ${messages.map((m) => m.kind).join(',')}`)), timeoutMs);
        const look = () => {
          const i = messages.findIndex((m) => m.kind === kind);
          if (i >= 0) { clearTimeout(timer); res(messages.splice(i, 1)[0] as Of<K>); } else waiters.push(look);
        };
        look();
      });
      resolve({
        ws, messages, next, send, closed,
        answerClients: () => { answering = true; },
        keepAlive: (ms = 200) => { pinger = setInterval(() => send({ kind: 'Ping', messages: [] }), ms); pinger.unref(); },
        close: () => { clearInterval(pinger); ws.close(); },
      });
    });
  });
}

/** Opens and completes the service handshake (`[2, ""]` must come first). */
export async function handshaken(endpoint: string, hub: string, token: string, serverId?: string): Promise<RawApp> {
  const app = await openRaw(endpoint, hub, token, serverId);
  assert.notEqual(typeof app, 'number', `refused with ${String(app)}`);
  const raw = app as RawApp;
  raw.send({ kind: 'HandshakeRequest', version: 1, connectionType: 0, target: '', migrationLevel: 0, ext: {}, allowStatefulReconnects: false });
  const hs = await raw.next('HandshakeResponse');
  assert.equal(hs.errorMessage || '', '');
  return raw;
}

/** An official @microsoft/signalr client of `hub` (WebSockets), started; `app` must be answering clients. */
export async function startClient(endpoint: string, hub: string, key: string, claims: Record<string, unknown> = {}): Promise<HubConnection> {
  const c = new HubConnectionBuilder().withUrl(`${endpoint}/client/?hub=${hub}`, {
    transport: HttpTransportType.WebSockets, accessTokenFactory: () => clientKeyToken(endpoint, hub, key, claims),
  }).configureLogging(LogLevel.None).build();
  await c.start();
  return c;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds (polling), failing with `what` after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
