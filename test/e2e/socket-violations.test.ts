/**
 * One bad peer must never end the process: every WebSocket entry path of a resource origin ×
 * every RFC 6455 violation, over plain TCP and TLS. After each case the origins still answer
 * `/api/health` and clients connected beforehand still receive a broadcast.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { handshake, VIOLATIONS, type Target } from './raw-socket.ts';

const JSON_P = 'json.webpubsub.azure.v1';
const RELIABLE = 'json.reliable.webpubsub.azure.v1';

let lapis: TestLapis;
let refusing: Server;
const witnesses: Array<{ resource: string; hub: string; next(): Promise<string>; ws: WebSocket }> = [];
let reliableId = '';
// node:test turns an uncaught exception into a report instead of an exit; the monitor sees it first
// without changing that, so a case that would have ended a real process fails here.
const uncaught: Error[] = [];
process.on('uncaughtExceptionMonitor', (err) => uncaught.push(err));

interface Origin { https: Target; http: Target; connectionString: string }
const origins: Record<string, Origin> = {};

function origin(name: string): Origin {
  return origins[name]!;
}

before(async () => {
  // An event handler that refuses every connect (and passes abuse protection).
  refusing = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'WebHook-Allowed-Origin': '*' }).end();
      return;
    }
    res.writeHead(401, { 'content-type': 'text/plain' }).end('no entry');
  });
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
  const handlerUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/eventhandler`;
  lapis = await startTestLapis({
    config: {
      resources: [
        {
          type: 'Microsoft.SignalRService/webPubSub', name: 'wps', resourceGroup: 'rg',
          hubs: [
            { name: 'anon', properties: { anonymousConnectPolicy: 'allow' } },
            { name: 'refused', properties: { eventHandlers: [{ urlTemplate: handlerUrl, systemEvents: ['connect'] }] } },
          ],
        },
        { type: 'Microsoft.SignalRService/webPubSub', name: 'full', resourceGroup: 'rg', limits: { maxConnections: 1 } },
      ],
    },
  });
  for (const r of lapis.ready.resources) {
    const https = Number(new URL(r.endpoint!).port);
    const http = Number(new URL(r.httpEndpoint!).port);
    origins[r.name] = { https: { port: https, tls: true }, http: { port: http }, connectionString: r.connectionString! };
  }
  // Witnesses, connected before any bad peer: a reliable JSON client on `wps` (its id is also the
  // target of the wrong-token reconnection) and the one client that fills `full`.
  for (const [resource, hub, protocol] of [['wps', 'chat', RELIABLE], ['full', 'chat', JSON_P]] as const) {
    const { url } = await service(resource, hub).getClientAccessToken({ userId: `witness-${resource}` });
    const ws = new WebSocket(url, protocol);
    const queue: string[] = [];
    const waiting: Array<(s: string) => void> = [];
    ws.on('message', (d) => {
      const s = (d as Buffer).toString();
      const w = waiting.shift();
      if (w) w(s);
      else queue.push(s);
    });
    const next = () => new Promise<string>((resolve, reject) => {
      const q = queue.shift();
      if (q !== undefined) return resolve(q);
      const timer = setTimeout(() => reject(new Error(`witness on ${resource} got nothing`)), 3000);
      waiting.push((s) => { clearTimeout(timer); resolve(s); });
    });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const connected = JSON.parse(await next());
    if (resource === 'wps') reliableId = connected.connectionId;
    witnesses.push({ resource, hub, next, ws });
  }
});

after(async () => {
  for (const w of witnesses) w.ws.terminate();
  await lapis?.stop();
  refusing?.close();
});

function service(resource: string, hub: string): WebPubSubServiceClient {
  return new WebPubSubServiceClient(origin(resource).connectionString, hub);
}

async function tokenFor(resource: string, hub: string): Promise<string> {
  return (await service(resource, hub).getClientAccessToken({ userId: 'u' })).token;
}

/** Every way a peer can reach the WebSocket upgrade of a resource origin. */
const ENTRY_PATHS: ReadonlyArray<{ name: string; resource: string; request(): Promise<{ path: string; protocols?: string[] }>; status: number }> = [
  { name: 'anonymous hub', resource: 'wps', status: 101, request: async () => ({ path: '/client/hubs/anon', protocols: [JSON_P] }) },
  { name: `client token, ${JSON_P}`, resource: 'wps', status: 101, request: async () => ({ path: `/client/hubs/chat?access_token=${await tokenFor('wps', 'chat')}`, protocols: [JSON_P] }) },
  { name: `client token, ${RELIABLE}`, resource: 'wps', status: 101, request: async () => ({ path: `/client/hubs/chat?access_token=${await tokenFor('wps', 'chat')}`, protocols: [RELIABLE] }) },
  { name: 'client token, plain WebSocket', resource: 'wps', status: 101, request: async () => ({ path: `/client/hubs/chat?access_token=${await tokenFor('wps', 'chat')}` }) },
  { name: 'client token on /client/?hub=', resource: 'wps', status: 101, request: async () => ({ path: `/client/?hub=chat&access_token=${await tokenFor('wps', 'chat')}`, protocols: [JSON_P] }) },
  { name: 'no token on a closed hub', resource: 'wps', status: 401, request: async () => ({ path: '/client/hubs/chat', protocols: [JSON_P] }) },
  { name: 'reconnection with an unknown id', resource: 'wps', status: 101, request: async () => ({ path: '/client/hubs/chat?awps_connection_id=nope&awps_reconnection_token=x', protocols: [RELIABLE] }) },
  { name: 'reconnection with a wrong token', resource: 'wps', status: 101, request: async () => ({ path: `/client/hubs/chat?awps_connection_id=${reliableId}&awps_reconnection_token=wrong`, protocols: [RELIABLE] }) },
  { name: 'connection limit reached', resource: 'full', status: 429, request: async () => ({ path: `/client/hubs/chat?access_token=${await tokenFor('full', 'chat')}`, protocols: [JSON_P] }) },
  { name: 'connect event handler refuses', resource: 'wps', status: 401, request: async () => ({ path: `/client/hubs/refused?access_token=${await tokenFor('wps', 'refused')}`, protocols: [JSON_P] }) },
  { name: 'not a client path', resource: 'wps', status: 404, request: async () => ({ path: '/api/hubs/chat/:send' }) },
];

async function stillServing(): Promise<void> {
  assert.deepEqual(uncaught.map((e) => e.message), [], 'an uncaught exception would have ended the process');
  for (const name of Object.keys(origins)) {
    for (const t of [origin(name).http, origin(name).https]) {
      const res = await fetch(`${t.tls ? 'https' : 'http'}://localhost:${t.port}/api/health`);
      assert.equal(res.status, 200, `${name} health`);
    }
  }
  for (const w of witnesses) {
    const marker = `still-here-${Math.random()}`;
    await service(w.resource, w.hub).sendToAll(marker, { contentType: 'text/plain' });
    for (;;) {
      const m = JSON.parse(await w.next());
      if (m.type === 'message' && m.data === marker) break;
    }
  }
}

for (const transport of ['http', 'https'] as const) {
  for (const entry of ENTRY_PATHS) {
    test(`${transport}: ${entry.name} × every violation`, async () => {
      for (const v of VIOLATIONS) {
        const { path, protocols } = await entry.request();
        const target = origin(entry.resource)[transport];
        const peer = await handshake(target, path, {
          protocols,
          prefix: v.beforeHandshake ? v.bytes : undefined,
          trailing: v.inHandshakePacket ? v.bytes : undefined,
        });
        if (!v.beforeHandshake && !v.inHandshakePacket) {
          assert.equal(peer.status, entry.status, `${entry.name}: handshake answer`);
          peer.socket.write(v.bytes);
        }
        // The bad peer is refused or closed by the server, never left hanging.
        assert.equal(await peer.closed(5000), 'closed', `${entry.name} × ${v.name}: the server did not close the peer`);
        peer.destroy();
        await stillServing();
      }
    });
  }
}

test('the process survived the whole table', () => {
  assert.ok(witnesses.every((w) => w.ws.readyState === WebSocket.OPEN));
});
