/**
 * A raw app server for tests: a WebSocket to `/server/?hub=` that speaks the service protocol by hand
 * (the official SDK hides the error paths these tests need).
 */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { encodeServiceMessage, ServiceMessageReader, type ServiceMessage } from '../../../src/protocols/signalr-service/index.ts';

export interface RawApp {
  ws: WebSocket;
  messages: ServiceMessage[];
  /** The next message of that kind (taken out of `messages`). */
  next<K extends ServiceMessage['kind']>(kind: K, timeoutMs?: number): Promise<Extract<ServiceMessage, { kind: K }>>;
  send(m: ServiceMessage): void;
  closed: Promise<number>;
}

/** Opens `{endpoint}/server/?hub=` with a bearer token; resolves with the HTTP status when refused. */
export function openRawAppServer(endpoint: string, hub: string, token: string | undefined, serverId = 'raw_server_1'): Promise<RawApp | number> {
  const url = `${endpoint.replace(/^http/, 'ws')}/server/?hub=${hub}&cid=${crypto.randomUUID()}`;
  const ws = new WebSocket(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'x-asrs-server-id': serverId } });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once('error', reject);
    ws.once('open', () => {
      const messages: ServiceMessage[] = [];
      const waiters: Array<() => void> = [];
      const reader = new ServiceMessageReader();
      ws.on('message', (d: Buffer) => { messages.push(...reader.push(d).messages); for (const w of waiters.splice(0)) w(); });
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      const next = <K extends ServiceMessage['kind']>(kind: K, timeoutMs = 5000) => new Promise<Extract<ServiceMessage, { kind: K }>>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`no ${kind} within ${timeoutMs} ms; got ${messages.map((m) => m.kind).join(',')}`)), timeoutMs);
        const look = () => {
          const i = messages.findIndex((m) => m.kind === kind);
          if (i >= 0) { clearTimeout(timer); res(messages.splice(i, 1)[0] as Extract<ServiceMessage, { kind: K }>); } else waiters.push(look);
        };
        look();
      });
      resolve({ ws, messages, next, send: (m) => ws.send(encodeServiceMessage(m)), closed });
    });
  });
}

/** Opens and completes the service handshake; fails the test when refused. */
export async function handshakenAppServer(endpoint: string, hub: string, token: string, serverId?: string): Promise<RawApp> {
  const app = await openRawAppServer(endpoint, hub, token, serverId);
  assert.notEqual(typeof app, 'number', `refused with ${String(app)}`);
  const raw = app as RawApp;
  raw.send({ kind: 'HandshakeRequest', version: 1, connectionType: 0, target: '', migrationLevel: 0, ext: {}, allowStatefulReconnects: false });
  const hs = await raw.next('HandshakeResponse');
  assert.equal(hs.errorMessage || '', '');
  assert.equal(raw.messages.length, 0, 'nothing before the handshake response');
  return raw;
}
