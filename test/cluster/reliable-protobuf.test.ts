/**
 * Reliable protobuf sessions in a cluster (PostgreSQL + Redis): a `protobuf.reliable.webpubsub.azure.v1`
 * client recovers on another node, which rebuilds its session from the session store with its
 * subprotocol — binary protobuf frames replayed with their original sequence ids, then new ones,
 * and its client-joined group — and refuses a JSON resume of it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { dataOf, protobufClient, PROTOBUF_RELIABLE } from '../helpers/protobuf-client.ts';
import type { ProtobufClient } from '../helpers/protobuf-client.ts';
import { until } from './reliable-support.ts';

const skip = await clusterUnavailable();
let cluster: TestCluster | undefined;

before(async () => {
  if (skip) return;
  cluster = await startTestCluster({
    nodes: 2,
    config: { resources: [{ type: 'Microsoft.SignalRService/WebPubSub', name: 'pwps', resourceGroup: 'rg-p' }] },
  });
});
after(async () => { await cluster?.stop(); });

const resource = (node: number) => cluster!.nodes[node]!.ready.resources.find((r) => r.name === 'pwps')!;
const service = (node: number) => new WebPubSubServiceClient(resource(node).connectionString!, 'chat');
const wsBase = (node: number) => resource(node).httpEndpoint!.replace(/\/$/, '').replace(/^http/, 'ws');
const text = { contentType: 'text/plain' } as const;

test('a reliable protobuf session recovers on another node with its frames, ids and groups', { skip, timeout: 60_000 }, async () => {
  const { url } = await service(0).getClientAccessToken({ userId: 'pat', roles: ['webpubsub.joinLeaveGroup'] });
  const u = new URL(url);
  const c = await protobufClient(`${wsBase(0)}${u.pathname}${u.search}`, { reliable: true });
  const { connectionId, reconnectionToken } = await c.connected;
  assert.equal((await c.joinGroup('room', 7))!.success, true);
  const rest0 = service(0);
  for (const m of ['a', 'b', 'c']) await rest0.group('room').sendToAll(m, text);
  const first = [await c.nextData(), await c.nextData(), await c.nextData()];
  assert.deepEqual(first.map((m) => [Number(m.sequenceId), dataOf(m).value]), [[1, 'a'], [2, 'b'], [3, 'c']]);
  c.sequenceAck(1);
  await sleep(1500); // the mirror writes behind: let the ack and frames reach Redis
  c.ws.terminate();
  await sleep(100);

  const resume = `${wsBase(1)}/client/hubs/chat?awps_connection_id=${encodeURIComponent(connectionId)}&awps_reconnection_token=${encodeURIComponent(reconnectionToken!)}`;
  // The session speaks protobuf: a JSON client cannot take it over (1008), the session stays.
  const asJson = new WebSocket(resume, 'json.reliable.webpubsub.azure.v1');
  const jsonClose = await new Promise<number>((r) => asJson.on('close', (code) => r(code)));
  assert.equal(jsonClose, 1008);

  // A 503 (the owner has not answered yet) is retried, as the client SDKs do.
  let back: ProtobufClient | undefined;
  await until(async () => (back = await protobufClient(resume, { reliable: true }).catch(() => undefined)) !== undefined, 'recovered on node 1');
  if (!back) throw new Error('unreachable');
  assert.equal(back.protocol, PROTOBUF_RELIABLE);
  const replay = [await back.nextData(undefined, 10_000), await back.nextData(undefined, 10_000)];
  assert.deepEqual(replay.map((m) => [Number(m.sequenceId), m.group, dataOf(m).value]), [[2, 'room', 'b'], [3, 'room', 'c']]);
  await service(1).group('room').sendToAll('d', text);
  const next = await back.nextData(undefined, 10_000);
  assert.equal(dataOf(next).value, 'd');
  assert.ok(Number(next.sequenceId) > 3, `a new id after the replay (${next.sequenceId})`);
  assert.deepEqual(back.rejects, []);
  back.ws.close(1000);
});
