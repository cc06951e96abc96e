/**
 * Metrics and health of a two-node cluster (PostgreSQL store, Redis backplane): each node scrapes
 * its own numbers under its own name, a message published on one node and delivered on the other
 * counts in on the first and out on the second, and the backplane reads as Redis, connected, with
 * both nodes alive. Skips with the reason when PostgreSQL or Redis is not reachable.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import type { LapisNode } from '../../src/server/node.ts';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { parseExposition, type Exposition } from './exposition.ts';

const KEYS = { primaryKey: 'metrics-cluster-primary-0123456789abcdefghij', secondaryKey: 'metrics-cluster-secondary-0123456789abcdefgh' };
const unavailable = await clusterUnavailable();
let cluster: TestCluster | undefined;

before(async () => {
  if (unavailable) return;
  cluster = await startTestCluster({ nodes: 2, config: { resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: 'rg-mc', accessKeys: KEYS }] } });
});
after(async () => { await cluster?.stop(); });

async function scrape(node: LapisNode): Promise<Exposition> {
  return parseExposition(await (await fetch(`${node.ready.httpUrl}/metrics`)).text());
}

const connectionString = (node: LapisNode) => node.ready.resources.find((r) => r.name === 'chat')!.connectionString!;

test('a message published on node 1 and delivered on node 2 counts on each where it happened; the backplane is Redis with both nodes alive', { skip: unavailable }, async () => {
  const [one, two] = cluster!.nodes as [LapisNode, LapisNode];
  const onTwo = new WebPubSubServiceClient(connectionString(two), 'room');
  const client = new WebPubSubClient((await onTwo.getClientAccessToken({ userId: 'carol' })).url);
  let got = 0;
  client.on('server-message', () => { got++; });
  await client.start();
  try {
    await new WebPubSubServiceClient(connectionString(one), 'room').sendToAll({ across: true });
    for (let i = 0; i < 250 && got === 0; i++) await sleep(20);
    assert.equal(got, 1, 'the client on node 2 got the message sent through node 1');

    // Live nodes are as of each node's last heartbeat (every 2 s): wait for both to have seen both.
    let [e1, e2] = [await scrape(one), await scrape(two)];
    for (let i = 0; i < 400 && (e1.sum('lapis_backplane_live_nodes') < 2 || e2.sum('lapis_backplane_live_nodes') < 2); i++) {
      await sleep(25);
      [e1, e2] = [await scrape(one), await scrape(two)];
    }
    for (const s of e1.samples) assert.equal(s.labels.node, 'node-1', s.name);
    for (const s of e2.samples) assert.equal(s.labels.node, 'node-2', s.name);
    assert.equal(e1.sum('lapis_messages_received_total', { resource: 'chat' }), 1);
    assert.equal(e1.sum('lapis_messages_sent_total', { resource: 'chat' }), 0);
    assert.equal(e2.sum('lapis_messages_received_total', { resource: 'chat' }), 0);
    assert.equal(e2.sum('lapis_messages_sent_total', { resource: 'chat' }), 1);
    assert.equal(e1.sum('lapis_connections', { resource: 'chat' }), 0);
    assert.equal(e2.sum('lapis_connections', { resource: 'chat' }), 1);
    for (const e of [e1, e2]) {
      assert.equal(e.sum('lapis_backplane_connected', { kind: 'redis' }), 1);
      assert.equal(e.sum('lapis_backplane_live_nodes', { kind: 'redis' }), 2);
      assert.ok(e.sum('lapis_store_operation_duration_seconds_count') > 0, 'the PostgreSQL store is measured');
    }
    assert.ok(e1.sum('lapis_backplane_published_total', { kind: 'redis' }) > 0);
    assert.ok(e2.sum('lapis_backplane_received_total', { kind: 'redis' }) > 0);
    // The Redis backplane times its publishes (the message crossed through one).
    assert.ok(e1.sum('lapis_backplane_publish_duration_seconds_count', { kind: 'redis' }) > 0);
  } finally {
    client.stop();
  }
});

test('each node\'s health names it and reports the PostgreSQL store and the Redis backplane', { skip: unavailable }, async () => {
  for (const node of cluster!.nodes) {
    const res = await fetch(`${node.ready.httpUrl}/api/health`);
    assert.equal(res.status, 200);
    const body = await res.json() as { status: string; node: string; store: { reachable: boolean }; backplane: { kind: string; reachable: boolean } };
    assert.equal(body.status, 'ok');
    assert.equal(body.node, node.ready.nodeName);
    assert.equal(body.store.reachable, true);
    assert.deepEqual({ kind: body.backplane.kind, reachable: body.backplane.reachable }, { kind: 'redis', reachable: true });
  }
});
