/**
 * Reliable sessions moving between live nodes (in-process cluster on PostgreSQL + Redis): what a
 * session was given on one node — groups from its token, from the REST API and joined by the
 * client itself, permissions from its token roles and granted or revoked through the REST API —
 * is what it has on the node it recovers on, and sequence ids keep increasing. Plain JSON
 * (non-reliable) sessions are not mirrored at all. A node stopped gracefully hands its reliable
 * clients over (close 1012) instead of ending their sessions.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { testRedis } from '../helpers/services.ts';
import { SwitchingProxy, until } from './reliable-support.ts';

const skip = await clusterUnavailable();
let cluster: TestCluster | undefined;

before(async () => {
  if (skip) return;
  cluster = await startTestCluster({
    nodes: 2,
    config: { resources: [{ type: 'Microsoft.SignalRService/WebPubSub', name: 'hwps', resourceGroup: 'rg-h' }] },
  });
});
after(async () => { await cluster?.stop(); });

const resource = (node: number) => cluster!.nodes[node]!.ready.resources.find((r) => r.name === 'hwps')!;
const service = (node: number) => new WebPubSubServiceClient(resource(node).connectionString!, 'chat');
const text = { contentType: 'text/plain' } as const;

interface Raw { ws: WebSocket; frames: Array<Record<string, unknown>>; closed: Promise<number> }

function open(url: string, protocol = 'json.reliable.webpubsub.azure.v1'): Promise<Raw> {
  const ws = new WebSocket(url, protocol);
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('unexpected-response', (_q, res) => { let body = ''; res.on('data', (b: Buffer) => { body += String(b); }); res.on('end', () => reject(new Error(`refused ${res.statusCode}: ${body}`))); });
    ws.once('error', reject);
  });
}

async function connect(node: number, options: { userId: string; groups?: string[]; roles?: string[] }, protocol?: string): Promise<Raw & { id: string; token: string }> {
  const { url } = await service(node).getClientAccessToken(options);
  const u = new URL(url);
  const raw = await open(`${resource(node).httpEndpoint}${u.pathname}${u.search}`.replace(/^http/, 'ws'), protocol);
  await until(() => raw.frames.some((f) => f.event === 'connected'), 'connected');
  const hello = raw.frames.find((f) => f.event === 'connected')!;
  return { ...raw, id: String(hello.connectionId), token: String(hello.reconnectionToken) };
}

const messages = (r: Raw) => r.frames.filter((f) => f.type === 'message');
const ackOf = (r: Raw, ackId: number) => r.frames.find((f) => f.type === 'ack' && f.ackId === ackId);

test('groups and permissions from the token, the REST API and the client itself follow a session to the node it recovers on', { skip, timeout: 60_000 }, async () => {
  const rest0 = service(0);
  const c = await connect(0, { userId: 'carol', groups: ['from-token'], roles: ['webpubsub.joinLeaveGroup.joined-by-client', 'webpubsub.sendToGroup.from-token'] });
  await rest0.group('from-rest').addConnection(c.id);
  await rest0.grantPermission(c.id, 'sendToGroup', { targetName: 'granted' });
  await rest0.grantPermission(c.id, 'sendToGroup', { targetName: 'revoked-later' });
  await rest0.revokePermission(c.id, 'sendToGroup', { targetName: 'revoked-later' });
  c.ws.send(JSON.stringify({ type: 'joinGroup', group: 'joined-by-client', ackId: 1 }));
  await until(() => ackOf(c, 1) !== undefined, 'the join ack');
  await rest0.sendToUser('carol', 'before', text);
  await until(() => messages(c).length === 1, 'the first message');
  const firstId = Number(messages(c)[0]!.sequenceId);
  c.ws.terminate();
  await sleep(200);

  // The client comes back through node 1 while node 0 still holds the session: node 0 hands it over.
  const r = await open(`${resource(1).httpEndpoint!.replace(/^http/, 'ws')}/client/hubs/chat?awps_connection_id=${encodeURIComponent(c.id)}&awps_reconnection_token=${encodeURIComponent(c.token)}`);
  await until(() => messages(r).length === 1, 'the unacknowledged message replayed');
  assert.equal(messages(r)[0]!.data, 'before');
  assert.equal(Number(messages(r)[0]!.sequenceId), firstId, 'replayed with its original id');

  const rest1 = service(1);
  for (const g of ['from-token', 'from-rest', 'joined-by-client']) await rest1.group(g).sendToAll(`to-${g}`, text);
  await until(() => messages(r).length === 4, 'group messages after the move');
  assert.deepEqual(messages(r).slice(1).map((m) => m.data), ['to-from-token', 'to-from-rest', 'to-joined-by-client']);
  const ids = messages(r).map((m) => Number(m.sequenceId));
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), `increasing ids: ${ids.join(',')}`);

  let ackId = 10;
  const send = async (group: string, via = r) => {
    const id = ++ackId;
    via.ws.send(JSON.stringify({ type: 'sendToGroup', group, dataType: 'text', data: 'x', ackId: id }));
    await until(() => ackOf(via, id) !== undefined, `the ack of a send to ${group}`);
    return ackOf(via, id)!;
  };
  assert.equal((await send('from-token')).success, true, 'a token role');
  assert.equal((await send('granted')).success, true, 'a REST grant');
  assert.equal((await send('revoked-later')).success, false, 'a REST revoke');
  assert.equal((await send('elsewhere')).success, false, 'never granted');
  r.ws.send(JSON.stringify({ type: 'leaveGroup', group: 'joined-by-client', ackId: 99 }));
  await until(() => ackOf(r, 99) !== undefined, 'leave ack');
  assert.equal(ackOf(r, 99)!.success, true, 'the token role to join/leave came along');
  assert.equal(await rest1.hasPermission(c.id, 'sendToGroup', { targetName: 'granted' }), true);

  // A second move, back to node 0: what the session was rebuilt with moves again (history included).
  r.ws.terminate();
  await sleep(200);
  const r2 = await open(`${resource(0).httpEndpoint!.replace(/^http/, 'ws')}/client/hubs/chat?awps_connection_id=${encodeURIComponent(c.id)}&awps_reconnection_token=${encodeURIComponent(c.token)}`);
  await until(() => messages(r2).length >= 4, 'the unacknowledged messages replayed on node 0');
  assert.equal((await send('granted', r2)).success, true, 'a REST grant, after two moves');
  assert.equal((await send('revoked-later', r2)).success, false, 'a REST revoke, after two moves');
  await rest0.group('from-rest').sendToAll('back-home', text);
  await until(() => messages(r2).some((m) => m.data === 'back-home'), 'a REST-added group after two moves');
  r2.ws.close(1000);
  await r2.closed;
  await until(async () => !(await rest1.connectionExists(c.id)), 'the session ending on a normal close');
});

test('only reliable sessions are written to Redis, and an ended one leaves nothing behind', { skip, timeout: 30_000 }, async () => {
  const redis = new Redis(testRedis().url);
  try {
    const plain = await connect(0, { userId: 'dave' }, 'json.webpubsub.azure.v1');
    const reliable = await connect(0, { userId: 'erin' });
    await service(0).sendToAll('hello', text);
    await until(() => messages(plain).length === 1 && messages(reliable).length === 1, 'both got it');
    await sleep(200);
    const keys = await redis.keys(`*sess:m:*`);
    const hits = (id: string) => keys.filter((k) => k.endsWith(`:${encodeURIComponent(id)}`)).length;
    assert.equal(hits(plain.id), 0, 'a plain JSON session is not mirrored');
    assert.equal(hits(reliable.id), 1, 'a reliable one is');
    const meta = await redis.hgetall(keys.find((k) => k.endsWith(`:${encodeURIComponent(reliable.id)}`))!);
    assert.ok(!JSON.stringify(meta).includes(reliable.token), 'the reconnection token itself is not stored');
    reliable.ws.close(1000);
    plain.ws.close(1000);
    await Promise.all([reliable.closed, plain.closed]);
    await until(async () => (await redis.keys(`*sess:*:*${encodeURIComponent(reliable.id)}`)).length === 0, 'the record deleted');
  } finally {
    redis.disconnect();
  }
});

test('a node stopped gracefully (rolling restart) leaves its reliable clients to recover on another node: nothing lost, no new connection', { skip, timeout: 60_000 }, async () => {
  const proxy = new SwitchingProxy();
  const port = await proxy.listen();
  const httpPort = (node: number) => Number(new URL(resource(node).httpEndpoint!).port);
  proxy.backendPort = httpPort(0);
  const rest0 = service(0);
  const rest1 = service(1);
  const received: string[] = [];
  let connected = 0;
  let disconnected = 0;
  let connectionId = '';
  const client = new WebPubSubClient({
    getClientAccessUrl: async () => {
      const u = new URL((await rest1.getClientAccessToken({ userId: 'frank', groups: ['lobby'] })).url);
      return `ws://127.0.0.1:${port}${u.pathname}${u.search}`;
    },
  }, { autoReconnect: false });
  client.on('server-message', (e) => received.push(String(e.message.data)));
  client.on('group-message', (e) => received.push(`${e.message.group}:${String(e.message.data)}`));
  client.on('connected', (e) => { connected++; connectionId = e.connectionId; });
  client.on('disconnected', () => { disconnected++; });
  await client.start();
  try {
    await until(() => connectionId !== '', 'connected');
    const raw = await connect(0, { userId: 'grace' });
    await rest0.sendToUser('frank', 'one', text);
    await rest0.sendToUser('grace', 'unacked', text);
    await until(() => received.length === 1 && messages(raw).length === 1, 'the first messages');
    // Node 0 stops with both clients connected; the load balancer sends new connections to node 1.
    const node1 = resource(1).httpEndpoint!.replace(/^http/, 'ws');
    proxy.backendPort = httpPort(1);
    const stopping = cluster!.stopNode(cluster!.nodes[0]!);
    assert.equal(await raw.closed, 1012, 'Service Restart: a reliable client recovers');
    await stopping;
    await rest1.group('lobby').sendToAll('two', text);
    await rest1.sendToConnection(connectionId, 'three', text);
    await until(() => received.length === 3, 'messages after the move', 20_000);
    await sleep(300);
    assert.deepEqual(received, ['one', 'lobby:two', 'three']);
    assert.equal(connected, 1);
    assert.equal(disconnected, 0);
    const back = await open(`${node1}/client/hubs/chat?awps_connection_id=${encodeURIComponent(raw.id)}&awps_reconnection_token=${encodeURIComponent(raw.token)}`);
    await until(() => messages(back).length === 1, 'the unacknowledged frame replayed on node 1');
    assert.equal(messages(back)[0]!.data, 'unacked');
    back.ws.close(1000);
  } finally {
    client.stop();
    await proxy.close();
  }
});
