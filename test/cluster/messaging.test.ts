/**
 * Cluster mode, messages across nodes (Redis backplane): a client connected to one node receives
 * what a REST call on another node sends it — to all, a user, a group, a connection — and the REST
 * existence checks and close operations see every node's connections. Official SDKs on both sides.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { HubConnectionBuilder, HttpTransportType, LogLevel } from '@microsoft/signalr';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';

const skip = await clusterUnavailable();
let cluster: TestCluster | undefined;

before(async () => {
  if (skip) return;
  cluster = await startTestCluster({
    nodes: 3,
    config: {
      resources: [
        { type: 'Microsoft.SignalRService/WebPubSub', name: 'cwps', resourceGroup: 'rg-c' },
        { type: 'Microsoft.SignalRService/signalR', name: 'csr', resourceGroup: 'rg-c', properties: { features: [{ flag: 'ServiceMode', value: 'Serverless' }] } },
      ],
    },
  });
});
after(async () => { await cluster?.stop(); });

const connectionString = (node: number, name: string) => cluster!.nodes[node]!.ready.resources.find((r) => r.name === name)!.connectionString!;
const service = (node: number) => new WebPubSubServiceClient(connectionString(node, 'cwps'), 'chat');

interface Received { data: unknown[]; client: WebPubSubClient; connectionId: string }

async function connectClient(node: number, userId: string, groups: string[] = []): Promise<Received> {
  const svc = service(node);
  const data: unknown[] = [];
  const client = new WebPubSubClient({ getClientAccessUrl: async () => (await svc.getClientAccessToken({ userId, groups })).url }, { autoReconnect: false });
  client.on('server-message', (e) => data.push(e.message.data));
  client.on('group-message', (e) => data.push(e.message.data));
  let connectionId = '';
  client.on('connected', (e) => { connectionId = e.connectionId; });
  await client.start();
  await until(() => connectionId !== '', 'the connected event');
  return { data, client, connectionId };
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('Web PubSub: REST sends on node 1 reach clients on nodes 2 and 3 (all, user, group, connection), exactly once', { skip, timeout: 60_000 }, async () => {
  const bob = await connectClient(1, 'bob', ['room']);
  const carol = await connectClient(2, 'carol');
  try {
    const rest = service(0);
    await rest.sendToAll('to-all', { contentType: 'text/plain' });
    await until(() => bob.data.includes('to-all') && carol.data.includes('to-all'), 'sendToAll on both nodes');
    await rest.sendToUser('carol', 'to-carol', { contentType: 'text/plain' });
    await rest.group('room').sendToAll('to-room', { contentType: 'text/plain' });
    await rest.sendToConnection(bob.connectionId, 'to-bob-connection', { contentType: 'text/plain' });
    await until(() => carol.data.includes('to-carol') && bob.data.includes('to-room') && bob.data.includes('to-bob-connection'), 'user, group and connection sends');
    await sleep(300);
    assert.deepEqual(bob.data, ['to-all', 'to-room', 'to-bob-connection'], 'each once, nothing for others');
    assert.deepEqual(carol.data, ['to-all', 'to-carol']);
  } finally {
    bob.client.stop();
    carol.client.stop();
  }
});

test('Web PubSub: existence checks, group changes and closes made on one node see connections on the others', { skip, timeout: 60_000 }, async () => {
  const dave = await connectClient(2, 'dave');
  try {
    const rest = service(0);
    assert.equal(await rest.connectionExists(dave.connectionId), true);
    assert.equal(await rest.userExists('dave'), true);
    assert.equal(await rest.userExists('nobody'), false);
    assert.equal(await rest.groupExists('club'), false);
    await rest.group('club').addConnection(dave.connectionId);
    assert.equal(await service(1).groupExists('club'), true, 'seen from a third node');
    await rest.group('club').sendToAll('club-news', { contentType: 'text/plain' });
    await until(() => dave.data.includes('club-news'), 'group send after a cross-node join');
    const stopped = new Promise<void>((r) => dave.client.on('stopped', () => r()));
    await rest.closeConnection(dave.connectionId, { reason: 'bye' });
    await stopped;
    assert.equal(await rest.connectionExists(dave.connectionId), false);
  } finally {
    dave.client.stop();
  }
});

test('SignalR serverless: a REST send on node 1 reaches a @microsoft/signalr client on node 3', { skip, timeout: 60_000 }, async () => {
  const cs = connectionString(0, 'csr');
  const endpoint3 = /Endpoint=([^;]+)/.exec(connectionString(2, 'csr'))![1]!;
  const key = /AccessKey=([^;]+)/.exec(cs)![1]!;
  const { SignJWT } = await import('jose');
  const aud = (e: string, path: string) => `${e}${path}`;
  const token = (e: string, path: string, extra: Record<string, unknown> = {}) => new SignJWT(extra).setProtectedHeader({ alg: 'HS256' })
    .setAudience(aud(e, path)).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(key));
  const c = new HubConnectionBuilder()
    .withUrl(`${endpoint3}/client/?hub=chat`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => token(endpoint3, '/client/?hub=chat', { nameid: 'erin' }) })
    .configureLogging(LogLevel.None).build();
  const got: unknown[] = [];
  c.on('news', (m: unknown) => got.push(m));
  await c.start();
  try {
    const endpoint1 = /Endpoint=([^;]+)/.exec(cs)![1]!;
    const res = await fetch(`${endpoint1}/api/v1/hubs/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(endpoint1, '/api/v1/hubs/chat')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'news', arguments: ['from node 1'] }),
    });
    assert.equal(res.status, 202);
    await until(() => got.length > 0, 'the SignalR broadcast');
    assert.deepEqual(got, ['from node 1']);
    const toUser = await fetch(`${endpoint1}/api/v1/hubs/chat/users/erin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(endpoint1, '/api/v1/hubs/chat/users/erin')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'news', arguments: ['to erin'] }),
    });
    assert.equal(toUser.status, 202);
    await until(() => got.length > 1, 'the user send');
    assert.deepEqual(got, ['from node 1', 'to erin']);
  } finally {
    await c.stop();
  }
});

test('Web PubSub: a group listing made on one node pages through members on every node', { skip, timeout: 60_000 }, async () => {
  const members = [await connectClient(0, 'm0', ['big']), await connectClient(1, 'm1', ['big']), await connectClient(2, 'm2', ['big']), await connectClient(2, 'm3', ['big'])];
  try {
    const listed: string[] = [];
    let pages = 0;
    for await (const page of (await service(1).group('big').listConnections({ maxPageSize: 2 })).byPage()) {
      pages++;
      for (const m of page as { connectionId: string }[]) listed.push(m.connectionId);
    }
    assert.deepEqual(listed.sort(), members.map((m) => m.connectionId).sort());
    assert.ok(pages >= 2, `paged (${pages} pages of at most 2)`);
  } finally {
    for (const m of members) m.client.stop();
  }
});
