/**
 * Reliable Web PubSub sessions across nodes (issue 13): three `lapis start` processes on one
 * PostgreSQL store and one Redis, a switching TCP proxy standing in for the load balancer.
 *
 * - The official `@azure/web-pubsub-client` (json.reliable) on node A; A is killed with SIGKILL
 *   while frames it sent are lost on the way; one of the other nodes adopts the session, messages
 *   are published through it while A is dead; the client recovers through the *other* node (the
 *   adopter hands the session over) and gets every message exactly once, in order, on the same
 *   connection (one `connected` event, no `disconnected`), with its groups.
 * - Raw WebSocket: a session held (detached) by a live node is handed over to the node the client
 *   recovers on; a wrong token and a recovery after the window are closed with 1008.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { Redis } from 'ioredis';
import { clusterUnavailable } from '../helpers/cluster.ts';
import { testRedis } from '../helpers/services.ts';
import { freePortBlock, startProcessCluster, type ProcessCluster, type ProcessNode } from '../helpers/cluster-process.ts';
import { SwitchingProxy, until } from './reliable-support.ts';

const skip = await clusterUnavailable();
const RESOURCE = 'relwps';
const RECOVERY_WINDOW_MS = 30_000;
let cluster: ProcessCluster | undefined;
let proxy: SwitchingProxy | undefined;
let proxyPort = 0;

before(async () => {
  if (skip) return;
  const base = await freePortBlock(4, [0, 100, 200, 300]);
  cluster = await startProcessCluster({
    nodes: 3, basePort: base,
    config: (b) => ({ resources: [{ type: 'Microsoft.SignalRService/WebPubSub', name: RESOURCE, resourceGroup: 'rg-rel', ports: { https: b + 2, http: b + 3 } }] }),
  });
  proxy = new SwitchingProxy();
  proxyPort = await proxy.listen();
});
after(async () => {
  await proxy?.close();
  await cluster?.stop();
});

const resourceOf = (node: ProcessNode) => node.ready.resources.find((r) => r.name === RESOURCE)!;
const service = (node: ProcessNode) => new WebPubSubServiceClient(resourceOf(node).connectionString!, 'chat');
const httpPort = (node: ProcessNode) => Number(new URL(resourceOf(node).httpEndpoint!).port);
/** The same client URL, reached through the proxy (the token's audience is checked on the path). */
const viaProxy = (url: string) => { const u = new URL(url); return `ws://127.0.0.1:${proxyPort}${u.pathname}${u.search}`; };
const text = { contentType: 'text/plain' } as const;

/** The node id that owns a session, from its record in Redis. */
async function ownerOf(connectionId: string): Promise<string> {
  const redis = new Redis(testRedis().url);
  try {
    const [key] = await redis.keys(`*sess:m:*:${encodeURIComponent(connectionId)}`);
    return key ? (await redis.hget(key, 'owner')) ?? '' : '';
  } finally {
    redis.disconnect();
  }
}

test('a reliable client whose node is killed recovers its session through another node: every message once, in order', { skip, timeout: 120_000 }, async () => {
  const [a, b, c] = cluster!.nodes as [ProcessNode, ProcessNode, ProcessNode];
  proxy!.backendPort = httpPort(a);
  const restA = service(a);
  const received: string[] = [];
  let connected = 0;
  let disconnected = 0;
  let connectionId = '';
  const client = new WebPubSubClient({
    getClientAccessUrl: async () => viaProxy((await restA.getClientAccessToken({ userId: 'alice', groups: ['room'] })).url),
  }, { autoReconnect: false });
  client.on('server-message', (e) => received.push(String(e.message.data)));
  client.on('group-message', (e) => received.push(`${e.message.group}:${String(e.message.data)}`));
  client.on('connected', (e) => { connected++; connectionId = e.connectionId; });
  client.on('disconnected', () => { disconnected++; });
  await client.start();
  try {
    await until(() => connectionId !== '', 'the connected event');
    // 1. Live on node A; the client acknowledges what it got (it does so every second).
    await restA.sendToUser('alice', 'a1', text);
    await restA.group('room').sendToAll('a2', text);
    await restA.sendToConnection(connectionId, 'a3', text);
    await until(() => received.length === 3, 'the first three messages');
    await sleep(1500);

    // 2. Node A sends three more, which the network loses: A believes they were sent.
    proxy!.frozen = true;
    await restA.sendToUser('alice', 'f1', text);
    await restA.group('room').sendToAll('f2', text);
    await restA.sendToConnection(connectionId, 'f3', text);
    await sleep(500);

    // 3. Node A dies; nothing reaches the cluster for a while (recovery attempts fail and are retried).
    proxy!.refusing = true;
    await cluster!.kill(a, 'SIGKILL');
    proxy!.cutAll();
    proxy!.frozen = false;
    const restB = service(b);
    // Node B or C notices A's heartbeat expired and adopts the session: it is a connection again.
    await until(() => restB.connectionExists(connectionId), 'a live node adopting the session', 25_000);
    const adopter = await ownerOf(connectionId);
    assert.ok(adopter.startsWith(`${b.name}~`) || adopter.startsWith(`${c.name}~`), `adopted by a live node (${adopter})`);
    const adopterNode = adopter.startsWith(`${b.name}~`) ? b : c;
    const other = adopterNode === b ? c : b;
    await service(adopterNode).sendToUser('alice', 'd1', text);
    await restB.group('room').sendToAll('d2', text);
    await service(other).sendToConnection(connectionId, 'd3', text);

    // 4. The client's next recovery attempt lands on the node that did not adopt it: handed over.
    proxy!.backendPort = httpPort(other);
    proxy!.refusing = false;
    await until(() => received.length >= 9, 'the replayed and buffered messages', 15_000);
    await restB.sendToUser('alice', 'b1', text);
    await restB.group('room').sendToAll('b2', text);
    await until(() => received.length >= 11, 'messages after the recovery');
    await sleep(500);
    assert.deepEqual(received, ['a1', 'room:a2', 'a3', 'f1', 'room:f2', 'f3', 'd1', 'room:d2', 'd3', 'b1', 'room:b2']);
    assert.equal(connected, 1, 'the same connection all along (a fresh one would fire connected again)');
    assert.equal(disconnected, 0);
    assert.equal(await restB.connectionExists(connectionId), true);
    assert.ok((await ownerOf(connectionId)).startsWith(`${other.name}~`), 'now owned by the node the client came back to');
  } finally {
    client.stop();
  }
});

interface RawClient { ws: WebSocket; frames: Array<Record<string, unknown>>; closed: Promise<{ code: number; reason: string }> }

function rawClient(url: string): Promise<RawClient> {
  const ws = new WebSocket(url, 'json.reliable.webpubsub.azure.v1');
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const dataFrames = (c: RawClient) => c.frames.filter((f) => f.type === 'message');
const recoveryUrl = (node: ProcessNode, id: string, token: string) =>
  `ws://127.0.0.1:${httpPort(node)}/client/hubs/chat?awps_connection_id=${encodeURIComponent(id)}&awps_reconnection_token=${encodeURIComponent(token)}`;

test('a session held by a live node is handed over; a wrong token and a recovery after the window get 1008', { skip, timeout: 150_000 }, async () => {
  const a = await cluster!.start(0);
  const b = cluster!.nodes[1]!;
  const restA = service(a);
  const { url } = await restA.getClientAccessToken({ userId: 'bob', groups: ['hall'] });
  const first = await rawClient(`ws://127.0.0.1:${httpPort(a)}${new URL(url).pathname}${new URL(url).search}`);
  await until(() => first.frames.some((f) => f.event === 'connected'), 'connected');
  const hello = first.frames.find((f) => f.event === 'connected')!;
  const id = String(hello.connectionId);
  const token = String(hello.reconnectionToken);
  await restA.sendToUser('bob', 'h1', text);
  await until(() => dataFrames(first).length === 1, 'h1');
  first.ws.send(JSON.stringify({ type: 'sequenceAck', sequenceId: dataFrames(first)[0]!.sequenceId }));
  await sleep(200);
  first.ws.terminate(); // node A keeps the session for the recovery window
  await sleep(200);
  await restA.group('hall').sendToAll('h2', text);
  await sleep(300);

  const wrong = await rawClient(recoveryUrl(b, id, `${token}x`));
  assert.equal((await wrong.closed).code, 1008, 'a wrong token cannot take the session');

  const second = await rawClient(recoveryUrl(b, id, token));
  await until(() => dataFrames(second).length === 1, 'h2 replayed by node B');
  await service(b).sendToUser('bob', 'h3', text);
  await restA.group('hall').sendToAll('h4', text);
  await until(() => dataFrames(second).length === 3, 'h3 and h4 through node B');
  const got = dataFrames(second);
  assert.deepEqual(got.map((f) => f.data), ['h2', 'h3', 'h4']);
  const ids = got.map((f) => Number(f.sequenceId));
  assert.ok(ids[0]! > Number(dataFrames(first)[0]!.sequenceId) && ids[1]! > ids[0]! && ids[2]! > ids[1]!, `sequence ids keep increasing: ${ids.join(',')}`);
  assert.equal(await restA.connectionExists(id), true);

  // The client goes away for longer than the recovery window: the session ends everywhere.
  second.ws.terminate();
  await sleep(RECOVERY_WINDOW_MS + 3000);
  assert.equal(await restA.connectionExists(id), false);
  const late = await rawClient(recoveryUrl(a, id, token));
  const closed = await late.closed;
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /cannot be recovered/);
});
