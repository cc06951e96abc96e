import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { WebSocket } from 'ws';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

/**
 * Web PubSub through the whole server, as a user runs it: the connection string from ready.json
 * (HTTPS, Lapis's CA trusted, no SDK option changed), clients over wss.
 */
const KEY = 'e2e-primary-key-0123456789abcdefghijkl';
const config = {
  resources: [
    {
      type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: 'rg-e2e',
      accessKeys: { primaryKey: KEY, secondaryKey: 'e2e-secondary-key-0123456789abcdefghij' },
      hubs: [{ name: 'Open', properties: { anonymousConnectPolicy: 'allow' } }, { name: 'closed', properties: { anonymousConnectPolicy: 'deny' } }],
    },
    { type: 'Microsoft.SignalRService/webPubSub', name: 'locked', resourceGroup: 'rg-e2e', properties: { disableLocalAuth: true } },
    { type: 'Microsoft.SignalRService/webPubSub', name: 'small', resourceGroup: 'rg-e2e', limits: { maxConnections: 2 }, hubs: [{ name: 'h', properties: { anonymousConnectPolicy: 'allow' } }] },
  ],
};

let lapis: TestLapis;
const resource = (name: string) => lapis.ready.resources.find((r) => r.name === name)!;
before(async () => { lapis = await startTestLapis({ config }); });
after(async () => { await lapis.stop(); });

function waitFor<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => { throw new Error(`timed out after ${ms} ms`); })]);
}

test('ready.json lists each Web PubSub resource with an https endpoint and its connection string', () => {
  const chat = resource('chat');
  assert.match(chat.endpoint!, /^https:\/\/localhost:\d+$/);
  assert.match(chat.httpEndpoint!, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(chat.connectionString, `Endpoint=${chat.endpoint};AccessKey=${KEY};Version=1.0;`);
  assert.equal(chat.id, `/subscriptions/${lapis.ready.subscriptionId}/resourceGroups/rg-e2e/providers/Microsoft.SignalRService/webPubSub/chat`);
});

test('the unmodified server SDK from the connection string reaches clients over wss', async () => {
  const service = new WebPubSubServiceClient(resource('chat').connectionString!, 'e2e');
  const token = await service.getClientAccessToken({ userId: 'alice', roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'] });
  assert.match(token.url, /^wss:\/\/localhost:\d+\/client\/hubs\/e2e\?access_token=/);
  const client = new WebPubSubClient(token.url);
  const received: unknown[] = [];
  client.on('server-message', (e) => { received.push(e.message.data); });
  client.on('group-message', (e) => { received.push({ group: e.message.group, data: e.message.data }); });
  const connected = new Promise<string>((resolve) => client.on('connected', (e) => resolve(e.connectionId)));
  await client.start();
  const connectionId = await waitFor(connected);

  await service.sendToAll({ hello: 'all' });
  await service.sendToUser('alice', 'to alice', { contentType: 'text/plain' });
  await service.sendToConnection(connectionId, { direct: true });
  await client.joinGroup('g1');
  await service.group('g1').sendToAll('to group', { contentType: 'text/plain' });
  for (let i = 0; i < 50 && received.length < 4; i++) await sleep(20);
  assert.deepEqual(received, [{ hello: 'all' }, 'to alice', { direct: true }, { group: 'g1', data: 'to group' }]);

  assert.equal(await service.connectionExists(connectionId), true);
  assert.equal(await service.userExists('alice'), true);
  assert.equal(await service.groupExists('g1'), true);
  client.stop();
});

test('hub names are case-insensitive: a declared hub\'s anonymous policy applies whatever the casing', async () => {
  const base = resource('chat').endpoint!.replace('https:', 'wss:');
  for (const hub of ['open', 'OPEN', 'Open']) {
    const ws = new WebSocket(`${base}/client/hubs/${hub}`, 'json.webpubsub.azure.v1');
    const first = await waitFor(new Promise<string>((resolve, reject) => { ws.once('message', (d) => resolve(String(d))); ws.once('error', reject); }));
    assert.equal(JSON.parse(first).event, 'connected', `anonymous connect to ${hub}`);
    ws.close();
  }
  const refused = new WebSocket(`${base}/client/hubs/closed`);
  const status = await waitFor(new Promise<number>((resolve) => {
    refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    refused.once('open', () => resolve(101));
  }));
  assert.equal(status, 401);
});

test('a resource with disableLocalAuth refuses its access key on REST and client tokens signed with it', async () => {
  const locked = resource('locked');
  const service = new WebPubSubServiceClient(locked.connectionString!, 'h');
  // Azure does not document 401 vs 403 here (SignalR answers key-signed server connections 403);
  // what matters is a refusal that names the reason.
  await assert.rejects(service.sendToAll('x', { contentType: 'text/plain' }), (err: Error & { statusCode?: number }) => {
    assert.ok(err.statusCode === 401 || err.statusCode === 403, String(err.statusCode));
    return true;
  });
  const { url } = await service.getClientAccessToken({ userId: 'u' });
  const ws = new WebSocket(url);
  const status = await waitFor(new Promise<number>((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => resolve(101));
  }));
  assert.notEqual(status, 101, 'access-key-signed client tokens are refused too');
});

test('the plain-HTTP origin of the same resource shares connections and groups with the HTTPS one', async () => {
  const chat = resource('chat');
  const httpService = new WebPubSubServiceClient(`Endpoint=${chat.httpEndpoint};AccessKey=${KEY};Version=1.0;`, 'shared', { allowInsecureConnection: true });
  const httpsService = new WebPubSubServiceClient(chat.connectionString!, 'shared');
  const { url } = await httpsService.getClientAccessToken({ userId: 'bob' });
  const client = new WebPubSubClient(url);
  const got = new Promise<unknown>((resolve) => client.on('server-message', (e) => resolve(e.message.data)));
  await client.start();
  await httpService.sendToUser('bob', { via: 'http' });
  assert.deepEqual(await waitFor(got), { via: 'http' });
  client.stop();
});

test('limits.maxConnections from the config refuses the connection past the limit with 429', async () => {
  const base = resource('small').endpoint!.replace('https:', 'wss:');
  const open = (): Promise<{ ws: WebSocket; status: number }> => new Promise((resolve) => {
    const ws = new WebSocket(`${base}/client/hubs/h`);
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? 0 }));
  });
  const a = await waitFor(open());
  const b = await waitFor(open());
  const c = await waitFor(open());
  assert.deepEqual([a.status, b.status, c.status], [101, 101, 429]);
  a.ws.close();
  await sleep(100);
  const d = await waitFor(open());
  assert.equal(d.status, 101, 'a freed slot can be used again');
  b.ws.close();
  d.ws.close();
});
