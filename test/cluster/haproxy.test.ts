/**
 * Cluster mode end to end behind a real load balancer: three `lapis start` processes on one
 * PostgreSQL store and one Redis backplane, HAProxy (Debian's) in front passing TLS through
 * (`mode tcp`, round robin), `--public-url` naming it. The official SDKs see one service: identity,
 * REST and WebSocket clients through HAProxy, messages crossing nodes; a node killed with SIGKILL
 * takes only its own clients with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientSecretCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { clusterUnavailable } from '../helpers/cluster.ts';
import { balancedCluster, haproxyMissing } from '../helpers/haproxy.ts';
import { call, miToken } from '../access/arm-harness.ts';
import type { TestLapis } from '../helpers/lapis.ts';

const T = '5e1a7c2b-0000-4000-8000-00000000c3a1';
const S = '5e1a7c2b-0000-4000-8000-00000000c3a2';
const APP = { displayName: 'lb-sender', appId: '5e1a7c2b-0000-4000-8000-00000000c3a3', secret: 'lb-sender-secret-0123456789abcdefg' };
const skip = haproxyMissing ?? await clusterUnavailable();

const lbc = balancedCluster(skip, (b) => ({
  tenantId: T, subscriptionId: S,
  applications: [{ displayName: APP.displayName, appId: APP.appId, passwordCredentials: [{ displayName: 'ci', secretText: APP.secret }] }],
  resources: [{ type: 'Microsoft.SignalRService/WebPubSub', name: 'lbwps', resourceGroup: 'rg-lb', ports: { https: b + 2, http: b + 3 } }],
  roleAssignments: [{ principal: APP.displayName, roleDefinitionName: 'Web PubSub Service Owner', scope: `/subscriptions/${S}/resourceGroups/rg-lb` }],
}));

test('every node advertises the load balancer: issuer, resource endpoint and connection string, in ready.json and ARM', { skip }, async () => {
  for (const n of lbc.cluster.nodes) {
    assert.match(n.output(), new RegExp(`Lapis node ${n.name} is ready, in a cluster \\(shared postgresql store, redis backplane\\)`));
    assert.equal(n.ready.authorityHost, `https://localhost:${lbc.base}`);
    assert.equal(n.ready.resources.find((r) => r.name === 'lbwps')!.endpoint, `https://localhost:${lbc.base + 2}`);
    const token = await miToken({ ready: n.ready } as TestLapis);
    const id = `/subscriptions/${S}/resourceGroups/rg-lb/providers/Microsoft.SignalRService/webPubSub/lbwps`;
    // Asked directly (not through the balancer), each node still names the balancer's origin.
    const keys = await call(n.ready.httpsUrl.replace(String(lbc.base), String(lbc.base + n.offset)), 'POST', `${id}/listKeys?api-version=2024-03-01`, token);
    assert.equal(keys.status, 200, JSON.stringify(keys.body));
    assert.match(keys.body.primaryConnectionString, new RegExp(`^Endpoint=https://localhost:${lbc.base + 2};`));
    const resource = await call(n.ready.httpsUrl, 'GET', `${id}?api-version=2024-03-01`, token);
    assert.equal(resource.body.properties.publicPort, lbc.base + 2);
  }
});

test('through HAProxy: an Entra token, REST sends and WebSocket clients spread over the nodes; every client gets each message once', { skip, timeout: 90_000 }, async () => {
  const credential = new ClientSecretCredential(T, APP.appId, APP.secret, { authorityHost: `https://localhost:${lbc.base}`, disableInstanceDiscovery: true });
  const rest = new WebPubSubServiceClient(`https://localhost:${lbc.base + 2}`, credential, 'chat');
  const clients: { data: string[]; client: WebPubSubClient }[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const data: string[] = [];
      const client = new WebPubSubClient({ getClientAccessUrl: async () => (await rest.getClientAccessToken({ userId: `u${i}` })).url }, { autoReconnect: false });
      client.on('server-message', (e) => data.push(String(e.message.data)));
      await client.start();
      clients.push({ data, client });
    }
    // Each REST call may land on another node: sends made anywhere reach clients everywhere.
    for (let m = 0; m < 3; m++) await rest.sendToAll(`m${m}`, { contentType: 'text/plain' });
    await rest.sendToUser('u4', 'only-u4', { contentType: 'text/plain' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !clients.every((c, i) => c.data.length === (i === 4 ? 4 : 3))) await sleep(50);
    await sleep(200);
    clients.forEach((c, i) => assert.deepEqual(c.data, i === 4 ? ['m0', 'm1', 'm2', 'only-u4'] : ['m0', 'm1', 'm2'], `client u${i}`));
  } finally {
    for (const c of clients) c.client.stop();
  }
});

test('a node killed with SIGKILL: the others keep serving through HAProxy, new clients land on live nodes', { skip, timeout: 90_000 }, async () => {
  const connection = (i: number) => lbc.cluster.nodes[i]!.ready.resources.find((r) => r.name === 'lbwps')!.connectionString!;
  await lbc.cluster.kill(lbc.cluster.nodes[0]!, 'SIGKILL');
  // HAProxy's checks (every 500 ms, down after 2 failures) take node 1 out; `redispatch` covers the gap.
  await sleep(1500);
  const rest = new WebPubSubServiceClient(connection(1), 'chat');
  const got: string[] = [];
  const client = new WebPubSubClient({ getClientAccessUrl: async () => (await rest.getClientAccessToken({ userId: 'after' })).url }, { autoReconnect: false });
  client.on('server-message', (e) => got.push(String(e.message.data)));
  await client.start();
  try {
    await rest.sendToUser('after', 'still-here', { contentType: 'text/plain' });
    for (let i = 0; i < 100 && got.length === 0; i++) await sleep(50);
    assert.deepEqual(got, ['still-here']);
    assert.equal(await rest.userExists('after'), true, 'existence checks do not wait for the dead node');
  } finally {
    client.stop();
  }
});
