/**
 * `GET {httpUrl}/metrics` and `/api/health` of a whole node after real traffic from the official
 * SDKs: a WebPubSubClient, REST sends through @azure/web-pubsub, a @microsoft/signalr client and a
 * SignalR REST send, and a Web PubSub event handler (upstream). The counters moved, the labels are
 * the documented bounded ones, the exposition parses strictly, and a second node in the same
 * process keeps its own numbers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { HttpTransportType, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { parseExposition, type Exposition } from './exposition.ts';

const WPS_KEY = 'metrics-wps-primary-key-0123456789abcdefgh';
const SR_KEY = 'metrics-sr-primary-key-0123456789abcdefghi';

let handler: Server;
let handled = 0;
let lapis: TestLapis;
let other: TestLapis;

before(async () => {
  // A Web PubSub event handler: answers abuse protection, counts events.
  handler = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'WebHook-Allowed-Origin': '*' }).end();
      return;
    }
    handled++;
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => handler.listen(0, '127.0.0.1', resolve));
  const handlerUrl = `http://127.0.0.1:${(handler.address() as AddressInfo).port}`;
  const config = {
    resources: [
      {
        type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: 'rg-m',
        accessKeys: { primaryKey: WPS_KEY, secondaryKey: 'metrics-wps-secondary-key-0123456789abcdef' },
        hubs: [{ name: 'room', properties: { eventHandlers: [{ urlTemplate: `${handlerUrl}/events/{event}`, systemEvents: ['connected'] }] } }],
      },
      {
        type: 'Microsoft.SignalRService/signalR', name: 'sig', resourceGroup: 'rg-m',
        accessKeys: { primaryKey: SR_KEY, secondaryKey: 'metrics-sr-secondary-key-0123456789abcdefg' },
        properties: { features: [{ flag: 'ServiceMode', value: 'Serverless' }] },
      },
    ],
  };
  lapis = await startTestLapis({ config });
  other = await startTestLapis({ config });
});

after(async () => {
  await lapis?.stop();
  await other?.stop();
  handler?.close();
});

const resource = (l: TestLapis, name: string) => l.ready.resources.find((r) => r.name === name)!;

async function scrape(l: TestLapis): Promise<Exposition> {
  const res = await fetch(`${l.ready.httpUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await res.text());
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return;
    await sleep(20);
  }
  assert.fail(`never happened: ${what}`);
}

/** A SignalR REST call signed with the access key, as the server SDKs sign them. */
async function signalrRest(path: string, body?: unknown): Promise<Response> {
  const url = `${resource(lapis, 'sig').endpoint}${path}`;
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience(url.split('?')[0]!).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SR_KEY));
  return fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
}

test('after SDK traffic the counters moved, with the documented labels, and the other node saw none of it', async () => {
  // Web PubSub: a client, REST sends, a client's own group message.
  const service = new WebPubSubServiceClient(resource(lapis, 'chat').connectionString!, 'room');
  const token = await service.getClientAccessToken({ userId: 'alice-7f3a', roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'] });
  const client = new WebPubSubClient(token.url);
  let received = 0;
  client.on('server-message', () => { received++; });
  client.on('group-message', () => { received++; });
  const connected = new Promise<string>((resolve) => client.on('connected', (e) => resolve(e.connectionId)));
  await client.start();
  const connectionId = await connected;
  await service.sendToAll({ hello: 'all' });
  await service.sendToUser('alice-7f3a', 'to alice', { contentType: 'text/plain' });
  await client.joinGroup('group-9c1');
  await client.sendToGroup('group-9c1', 'from the client', 'text');
  await until('three messages reached the client', async () => received >= 3);

  // SignalR: a client on WebSockets, a REST broadcast.
  const tokenRes = await signalrRest('/api/hubs/chat/:generateToken?api-version=2022-11-01&userId=bob-51d2&minutesToExpire=10');
  assert.equal(tokenRes.status, 200);
  const srToken = ((await tokenRes.json()) as { token: string }).token;
  const hub = new HubConnectionBuilder()
    .withUrl(`${resource(lapis, 'sig').endpoint}/client/?hub=chat`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => srToken })
    .configureLogging(LogLevel.None).build();
  let srReceived = 0;
  hub.on('notify', () => { srReceived++; });
  await hub.start();
  assert.equal((await signalrRest('/api/hubs/chat/:send?api-version=2022-11-01', { target: 'notify', arguments: ['hi'] })).status, 202);
  await until('the SignalR client got the broadcast', async () => srReceived === 1);
  await until('the connected event reached the handler', async () => handled >= 1);

  let e = await scrape(lapis);
  await until('the upstream delivery is counted', async () => {
    e = await scrape(lapis);
    return e.sum('lapis_upstream_requests_total', { resource: 'chat', result: '2xx' }) >= 1;
  });
  assert.equal(e.sum('lapis_connections', { resource: 'chat', kind: 'webpubsub' }), 1);
  assert.equal(e.sum('lapis_connections', { resource: 'sig', kind: 'signalr' }), 1);
  assert.equal(e.sum('lapis_connections', { resource: 'sig', kind: 'signalr_server' }), 0);
  // sendToAll, sendToUser and the client's group message: three messages in, three deliveries.
  assert.equal(e.sum('lapis_messages_received_total', { resource: 'chat', kind: 'webpubsub' }), 3);
  assert.equal(e.sum('lapis_messages_sent_total', { resource: 'chat', kind: 'webpubsub' }), 3);
  assert.equal(e.sum('lapis_messages_received_total', { resource: 'sig', kind: 'signalr' }), 1);
  assert.equal(e.sum('lapis_messages_sent_total', { resource: 'sig', kind: 'signalr' }), 1);
  // REST: the SDK's POSTs, by route pattern and status class.
  const restPosts = e.find('lapis_rest_requests_total', { resource: 'chat', method: 'POST', status: '2xx' });
  assert.ok(restPosts.length >= 1 && restPosts.every((s) => s.labels.route!.startsWith('/')), JSON.stringify(restPosts));
  // getClientAccessToken signs locally with the key: sendToAll and sendToUser are the REST calls.
  assert.ok(e.sum('lapis_rest_requests_total', { resource: 'chat' }) >= 2, 'sendToAll, sendToUser');
  // The data plane's own operation patterns, not its catch-all fastify route.
  assert.equal(e.sum('lapis_rest_requests_total', { resource: 'chat', method: 'POST', status: '2xx', route: '/api/hubs/{hub}/:send' }), 1);
  assert.equal(e.sum('lapis_rest_requests_total', { resource: 'chat', method: 'POST', status: '2xx', route: '/api/hubs/{hub}/users/{userId}/:send' }), 1);
  assert.equal(e.sum('lapis_rest_requests_total', { resource: 'sig', method: 'POST', status: '2xx', route: '/api/hubs/{hub}/:send' }), 1);
  assert.ok(e.sum('lapis_rest_requests_total', { resource: 'sig', method: 'POST', status: '2xx' }) >= 2, 'generateToken and send');
  assert.ok(e.sum('lapis_rest_request_duration_seconds_count', { resource: 'chat' }) >= 2);
  assert.ok(e.sum('lapis_upstream_request_duration_seconds_count', { resource: 'chat' }) >= 1);
  // The store was used at start-up (the world), and the backplane is in process.
  assert.ok(e.sum('lapis_store_operation_duration_seconds_count') > 0);
  assert.equal(e.sum('lapis_backplane_connected', { kind: 'in-process' }), 1);
  assert.equal(e.types.get('process_cpu_user_seconds_total'), 'counter');
  for (const s of e.samples) assert.equal(s.labels.node, 'node', `${s.name} carries the node label`);

  // Bounded labels: no connection id, user id, group or client-chosen value anywhere.
  const values = [...new Set(e.samples.flatMap((s) => Object.values(s.labels)))];
  for (const clientChosen of [connectionId, 'alice-7f3a', 'bob-51d2', 'group-9c1', '/hubs/room']) {
    assert.ok(!values.some((v) => v.includes(clientChosen)), `no label carries ${clientChosen}`);
  }

  // A second node in this process has its own registry: the same resources, none of the traffic.
  const o = await scrape(other);
  assert.equal(o.sum('lapis_messages_received_total'), 0);
  assert.equal(o.sum('lapis_connections'), 0);
  assert.equal(o.sum('lapis_upstream_requests_total'), 0);
  assert.equal(o.sum('lapis_rest_requests_total', { resource: 'chat' }), 0);

  client.stop();
  await hub.stop();
  await until('the gauges drop back to zero', async () => (await scrape(lapis)).sum('lapis_connections') === 0);
});

test('/api/health on the main listeners reports the node, its store and its backplane', async () => {
  for (const base of [lapis.ready.httpUrl, lapis.ready.httpsUrl]) {
    const res = await fetch(`${base}/api/health`);
    assert.equal(res.status, 200, base);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = await res.json() as { status: string; node: string; store: { reachable: boolean; latencyMs: number }; backplane: { kind: string; reachable: boolean } };
    assert.equal(body.status, 'ok');
    assert.equal(body.node, 'node');
    assert.equal(body.store.reachable, true);
    assert.equal(typeof body.store.latencyMs, 'number');
    assert.deepEqual({ kind: body.backplane.kind, reachable: body.backplane.reachable }, { kind: 'in-process', reachable: true });
    assert.equal((await fetch(`${base}/api/health`, { method: 'HEAD' })).status, 200);
  }
  // A resource origin keeps its own plain health answer.
  assert.equal((await fetch(`${resource(lapis, 'chat').endpoint}/api/health`)).status, 200);
});

test('/metrics is on the plain-HTTP main listener only, for GET and HEAD', async () => {
  const res = await fetch(`${lapis.ready.httpsUrl}/metrics`);
  assert.equal(res.status, 404);
  await res.arrayBuffer();
  assert.equal((await fetch(`${lapis.ready.httpUrl}/metrics`, { method: 'HEAD' })).status, 200);
  const post = await fetch(`${lapis.ready.httpUrl}/metrics`, { method: 'POST' });
  assert.equal(post.status, 405, 'in the listener\'s error shape');
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  assert.equal(((await post.json()) as { error: string }).error, 'method_not_allowed');
});
