/**
 * Cluster mode: Lapis's connection listing (`GET /api/hubs/{hub}/:connections`) asked on one node
 * lists the connections of every node, each once, paged by nextLink — Web PubSub clients of the
 * official SDK and a @microsoft/signalr client (SignalR serverless, v1 path). Redis backplane,
 * PostgreSQL store; skips with the reason when either is missing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { HubConnectionBuilder, HttpTransportType, LogLevel } from '@microsoft/signalr';
import { SignJWT } from 'jose';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';

const skip = await clusterUnavailable();
let cluster: TestCluster | undefined;

before(async () => {
  if (skip) return;
  cluster = await startTestCluster({
    nodes: 2,
    config: {
      resources: [
        { type: 'Microsoft.SignalRService/WebPubSub', name: 'lwps', resourceGroup: 'rg-l' },
        { type: 'Microsoft.SignalRService/signalR', name: 'lsr', resourceGroup: 'rg-l', properties: { features: [{ flag: 'ServiceMode', value: 'Serverless' }] } },
      ],
    },
  });
});
after(async () => { await cluster?.stop(); });

const connectionString = (node: number, name: string) => cluster!.nodes[node]!.ready.resources.find((r) => r.name === name)!.connectionString!;
const endpointOf = (cs: string) => /Endpoint=([^;]+)/.exec(cs)![1]!;

async function connect(node: number, userId: string, group: string): Promise<{ client: WebPubSubClient; connectionId: string }> {
  const svc = new WebPubSubServiceClient(connectionString(node, 'lwps'), 'chat');
  const client = new WebPubSubClient({ getClientAccessUrl: async () => (await svc.getClientAccessToken({ userId, groups: [group] })).url }, { autoReconnect: false });
  let connectionId = '';
  client.on('connected', (e) => { connectionId = e.connectionId; });
  await client.start();
  const end = Date.now() + 5000;
  while (!connectionId && Date.now() < end) await sleep(20);
  return { client, connectionId };
}

test('Web PubSub: the listing asked on node 1 pages through the connections of both nodes', { skip, timeout: 60_000 }, async () => {
  const clients = [await connect(0, 'a0', 'g0'), await connect(0, 'a1', 'g0'), await connect(1, 'b0', 'g1'), await connect(1, 'b1', 'g1')];
  try {
    const svc = new WebPubSubServiceClient(connectionString(1, 'lwps'), 'chat');
    const pipeline = (svc as unknown as { client: { sendRequest(r: unknown): Promise<{ status: number; bodyAsText?: string }> } }).client;
    const endpoint = endpointOf(connectionString(1, 'lwps'));
    const listed: { connectionId: string; userId: string; groups: string[] }[] = [];
    let path: string | undefined = '/api/hubs/chat/:connections?api-version=2024-12-01&maxpagesize=3';
    let pages = 0;
    while (path) {
      const res = await pipeline.sendRequest(createPipelineRequest({ url: `${endpoint}${path}`, method: 'GET' }));
      assert.equal(res.status, 200, res.bodyAsText);
      const body = JSON.parse(res.bodyAsText!) as { value: typeof listed; nextLink?: string; unansweredNodes?: string[] };
      assert.equal(body.unansweredNodes, undefined);
      listed.push(...body.value);
      path = body.nextLink;
      pages++;
    }
    assert.equal(pages, 2);
    assert.deepEqual(listed.map((c) => c.connectionId), clients.map((c) => c.connectionId).sort(), 'every connection once, in id order');
    assert.deepEqual(listed.find((c) => c.userId === 'b1')?.groups, ['g1']);
  } finally {
    for (const c of clients) c.client.stop();
  }
});

test('SignalR: the v1 listing on node 1 shows a @microsoft/signalr client connected to node 2', { skip, timeout: 60_000 }, async () => {
  const cs = connectionString(0, 'lsr');
  const key = /AccessKey=([^;]+)/.exec(cs)![1]!;
  const token = (aud: string, extra: Record<string, unknown> = {}) => new SignJWT(extra).setProtectedHeader({ alg: 'HS256' })
    .setAudience(aud).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(key));
  const endpoint2 = endpointOf(connectionString(1, 'lsr'));
  const c = new HubConnectionBuilder()
    .withUrl(`${endpoint2}/client/?hub=chat`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => token(`${endpoint2}/client/?hub=chat`, { nameid: 'erin' }) })
    .configureLogging(LogLevel.None).build();
  await c.start();
  try {
    const endpoint1 = endpointOf(cs);
    const url = `${endpoint1}/api/v1/hubs/chat/:connections`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${await token(url)}` } });
    assert.equal(res.status, 200);
    const body = await res.json() as { value: { connectionId: string; userId: string; protocol: string }[] };
    assert.equal(body.value.length, 1);
    assert.equal(body.value[0]!.userId, 'erin');
    assert.equal(body.value[0]!.connectionId, c.connectionId);
    assert.equal(body.value[0]!.protocol, 'json');
  } finally {
    await c.stop();
  }
});
