/**
 * The reliable-session store under load and faults (in-process cluster on PostgreSQL + Redis):
 * sequence ids are reserved ahead in blocks, and a session that outlives several blocks never
 * stalls; when the store's Redis connection is killed, reliable clients keep receiving (nothing
 * waits for Redis) and their session is written again in full once it is back, recoverable on
 * another node.
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
import { until } from './reliable-support.ts';

const skip = await clusterUnavailable();
let cluster: TestCluster | undefined;
let redis: Redis | undefined;

before(async () => {
  if (skip) return;
  cluster = await startTestCluster({
    nodes: 2,
    config: { resources: [{ type: 'Microsoft.SignalRService/WebPubSub', name: 'fwps', resourceGroup: 'rg-f' }] },
  });
  redis = new Redis(testRedis().url);
});
after(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

const resource = (node: number) => cluster!.nodes[node]!.ready.resources.find((r) => r.name === 'fwps')!;
const service = (node: number) => new WebPubSubServiceClient(resource(node).connectionString!, 'chat');
const text = { contentType: 'text/plain' } as const;

test('a session that outlives several reserved blocks of sequence ids never stalls: 2500 messages, each once', { skip, timeout: 60_000 }, async () => {
  const rest = service(0);
  const received: string[] = [];
  const client = new WebPubSubClient({ getClientAccessUrl: async () => (await rest.getClientAccessToken({ userId: 'henry' })).url }, { autoReconnect: false });
  client.on('server-message', (e) => received.push(String(e.message.data)));
  await client.start();
  try {
    const sent: string[] = [];
    for (let batch = 0; batch < 25; batch++) {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 100; i++) {
        const m = `m${batch * 100 + i}`;
        sent.push(m);
        sends.push(rest.sendToUser('henry', m, text));
      }
      await Promise.all(sends);
      // Let the client acknowledge (every second) so its buffer never reaches 1000.
      await until(() => received.length === sent.length, `batch ${batch}`);
      if (batch % 4 === 3) await sleep(1100);
    }
    assert.equal(received.length, 2500);
    assert.deepEqual(new Set(received).size, 2500, 'no repeats');
  } finally {
    client.stop();
  }
});

/** Kills the store connections of every node (their names say what they are). */
async function killSessionConnections(): Promise<number> {
  const list = await redis!.client('LIST') as string;
  const ids = list.split('\n').filter((l) => / name=lapis:node-\d+~[0-9a-f]+:sessions /.test(l)).map((l) => /id=(\d+)/.exec(l)![1]!);
  for (const id of ids) await redis!.client('KILL', 'ID', id);
  return ids.length;
}

test('the session store losing its Redis connection: clients keep receiving, and the session is written again and recoverable', { skip, timeout: 60_000 }, async () => {
  const rest = service(0);
  const { url } = await rest.getClientAccessToken({ userId: 'iris', groups: ['yard'] });
  const u = new URL(url);
  const ws = new WebSocket(`${resource(0).httpEndpoint!.replace(/^http/, 'ws')}${u.pathname}${u.search}`, 'json.reliable.webpubsub.azure.v1');
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>));
  await until(() => frames.some((f) => f.event === 'connected'), 'connected');
  const hello = frames.find((f) => f.event === 'connected')!;
  const data = () => frames.filter((f) => f.type === 'message').map((f) => f.data);
  await rest.group('yard').sendToAll('before', text);
  await until(() => data().length === 1, 'before');

  assert.ok(await killSessionConnections() >= 1, 'the store connections were found');
  // Delivery does not wait for Redis: sends right away still arrive.
  await rest.group('yard').sendToAll('during', text);
  await until(() => data().length === 2, 'a message while the store reconnects');
  await sleep(1500); // reconnected (100 ms backoff) and the session rewritten
  await rest.group('yard').sendToAll('after', text);
  await until(() => data().length === 3, 'after');
  ws.terminate();
  await sleep(200);

  const back = new WebSocket(`${resource(1).httpEndpoint!.replace(/^http/, 'ws')}/client/hubs/chat?awps_connection_id=${encodeURIComponent(String(hello.connectionId))}&awps_reconnection_token=${encodeURIComponent(String(hello.reconnectionToken))}`, 'json.reliable.webpubsub.azure.v1');
  const again: Array<Record<string, unknown>> = [];
  back.on('message', (d) => again.push(JSON.parse(String(d)) as Record<string, unknown>));
  await until(() => again.filter((f) => f.type === 'message').length === 3, 'the three unacknowledged messages replayed on node 1');
  assert.deepEqual(again.filter((f) => f.type === 'message').map((f) => f.data), ['before', 'during', 'after']);
  await service(1).group('yard').sendToAll('moved', text);
  await until(() => again.filter((f) => f.type === 'message').length === 4, 'a group message on node 1');
  back.close(1000);
});
