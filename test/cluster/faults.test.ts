/**
 * Cluster mode under faults: Redis going away and coming back, PostgreSQL refusing and dropping
 * connections and coming back. Nothing crashes, each node keeps delivering to its own clients,
 * health says what is wrong, and once the engine is back the nodes reconnect and resynchronise.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { databaseOutage, startPrivateRedis, type PrivateRedis } from '../helpers/services.ts';
import { authz, call, miToken } from '../access/arm-harness.ts';
import type { TestLapis } from '../helpers/lapis.ts';

const skip = await clusterUnavailable();
let cluster: TestCluster | undefined;
let redis: PrivateRedis | undefined;

before(async () => {
  if (skip) return;
  redis = await startPrivateRedis();
  cluster = await startTestCluster({ nodes: 2, redisUrl: redis.url, config: { resources: [{ type: 'Microsoft.SignalRService/WebPubSub', name: 'fwps', resourceGroup: 'rg-f' }] } });
});
after(async () => {
  await cluster?.stop();
  await redis?.stop();
});

const node = (i: number) => cluster!.nodes[i]!;
const rest = (i: number) => new WebPubSubServiceClient(node(i).ready.resources.find((r) => r.name === 'fwps')!.connectionString!, 'chat');
const health = async (i: number) => {
  const res = await fetch(`${node(i).ready.httpUrl}/api/health`);
  return { status: res.status, body: await res.json() as { status: string; store: { reachable: boolean }; backplane: { reachable: boolean } } };
};
const metric = async (i: number, name: string) => {
  const text = await (await fetch(`${node(i).ready.httpUrl}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).join('\n');
};

async function clientOn(i: number, userId: string): Promise<{ got: string[]; client: WebPubSubClient }> {
  const svc = rest(i);
  const got: string[] = [];
  const client = new WebPubSubClient({ getClientAccessUrl: async () => (await svc.getClientAccessToken({ userId })).url }, { autoReconnect: false });
  client.on('server-message', (e) => got.push(String(e.message.data)));
  await client.start();
  return { got, client };
}

async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

test('Redis goes away: local delivery goes on, health is degraded; it comes back: the nodes reconnect and messages cross again', { skip, timeout: 90_000 }, async () => {
  const a = await clientOn(0, 'fa');
  const b = await clientOn(1, 'fb');
  try {
    await rest(0).sendToAll('before', { contentType: 'text/plain' });
    await eventually(() => a.got.includes('before') && b.got.includes('before'), 'cross-node delivery before the fault');
    await redis!.stop();
    await eventually(async () => (await health(0)).status === 503, 'node 1 reports the backplane unreachable');
    const h = await health(0);
    assert.equal(h.body.status, 'degraded');
    assert.equal(h.body.backplane.reachable, false);
    assert.equal(h.body.store.reachable, true);
    await rest(0).sendToUser('fa', 'local-while-down', { contentType: 'text/plain' });
    await eventually(() => a.got.includes('local-while-down'), 'a node still delivers to its own clients');
    await redis!.start();
    await eventually(async () => (await health(0)).status === 200 && (await health(1)).status === 200, 'both nodes healthy again', 30_000);
    // Both nodes re-registered themselves: a send on node 1 reaches node 2's client again.
    await eventually(async () => {
      await rest(0).sendToUser('fb', 'after', { contentType: 'text/plain' });
      await sleep(200);
      return b.got.includes('after');
    }, 'cross-node delivery after Redis came back', 30_000);
    assert.match(await metric(0, 'lapis_backplane_reconnects_total'), /lapis_backplane_reconnects_total\S* [1-9]/);
  } finally {
    a.client.stop();
    b.client.stop();
  }
});

test('PostgreSQL refuses and drops connections: data-plane calls on keys go on, control-plane calls fail cleanly; it comes back: changes cross nodes again', { skip, timeout: 90_000 }, async () => {
  const asLapis = (i: number) => ({ ready: node(i).ready }) as TestLapis;
  const token = await miToken(asLapis(0));
  const outage = await databaseOutage(cluster!.storeUrl);
  try {
    assert.equal(await rest(0).userExists('nobody'), false, 'REST with an access key needs no store');
    const refused = await call(node(0).ready.managementEndpoint, 'GET', authz('/', 'roleAssignments'), token);
    assert.ok(refused.status >= 500 || refused.status === 200, `an ARM call answers (${refused.status}), it does not hang or crash`);
    await eventually(async () => (await health(0)).status === 503, 'health reports the store unreachable');
  } finally {
    await outage.end();
  }
  await eventually(async () => (await health(0)).status === 200 && (await health(1)).status === 200, 'both nodes healthy again', 30_000);
  // The change feed reconnected: a resource created through node 2 starts on node 1.
  const sub = node(0).ready.subscriptionId;
  const id = `/subscriptions/${sub}/resourceGroups/rg-f/providers/Microsoft.SignalRService/webPubSub/fnew`;
  const created = await call(node(1).ready.managementEndpoint, 'PUT', `${id}?api-version=2024-03-01`, await miToken(asLapis(1)), { location: 'eastus', sku: { name: 'Standard_S1', capacity: 1 } });
  assert.ok(created.status === 200 || created.status === 201, JSON.stringify(created.body));
  await eventually(() => node(0).ready.resources.some((r) => r.name === 'fnew'), 'node 1 started the resource created through node 2');
});
