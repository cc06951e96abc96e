/**
 * Cluster mode, control-plane changes made through one node take effect on the others at once:
 * a deleted role assignment denies the very next data-plane call on another node, a regenerated
 * key is the only one another node accepts, a resource created through ARM on one node serves on
 * every node, and one deleted stops everywhere.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientSecretCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { authz, call, miToken } from '../access/arm-harness.ts';
import type { TestLapis } from '../helpers/lapis.ts';

const T = '5e1a7c2b-0000-4000-8000-00000000c2a1';
const S = '5e1a7c2b-0000-4000-8000-00000000c2a2';
const RG = `/subscriptions/${S}/resourceGroups/rg-c`;
const APP = { displayName: 'cluster-owner', appId: '5e1a7c2b-0000-4000-8000-00000000c2a3', secret: 'cluster-owner-secret-0123456789abcd' };
const skip = await clusterUnavailable();
let cluster: TestCluster | undefined;

before(async () => {
  if (skip) return;
  cluster = await startTestCluster({
    nodes: 2,
    config: {
      tenantId: T, subscriptionId: S,
      applications: [{ displayName: APP.displayName, appId: APP.appId, passwordCredentials: [{ displayName: 'ci', secretText: APP.secret }] }],
      resources: [{ type: 'Microsoft.SignalRService/WebPubSub', name: 'ccwps', resourceGroup: 'rg-c' }],
      roleAssignments: [{ principal: APP.displayName, roleDefinitionName: 'Web PubSub Service Owner', scope: RG }],
    },
  });
});
after(async () => { await cluster?.stop(); });

const node = (i: number) => cluster!.nodes[i]!;
const asLapis = (i: number) => ({ ready: node(i).ready }) as TestLapis;
const admin = async (i: number, method: string, path: string, body?: unknown) =>
  call(node(i).ready.managementEndpoint, method, path, await miToken(asLapis(i)), body);
const endpointOn = (i: number, name: string) => node(i).ready.resources.find((r) => r.name === name)?.endpoint;

test('a role assignment deleted through node 1 denies the very next call on node 2', { skip, timeout: 60_000 }, async () => {
  const credential = new ClientSecretCredential(T, APP.appId, APP.secret, { authorityHost: node(0).ready.authorityHost, disableInstanceDiscovery: true });
  const onNode2 = new WebPubSubServiceClient(endpointOn(1, 'ccwps')!, credential, 'chat');
  assert.equal(await onNode2.userExists('someone'), false, 'allowed while the assignment exists');
  const list = await admin(0, 'GET', authz(RG, 'roleAssignments'));
  assert.equal(list.status, 200);
  // The only assignment at the resource group: the app's Web PubSub Service Owner from the world file.
  const assignment = (list.body.value as { id: string; properties: { scope: string } }[]).find((a) => a.properties.scope.toLowerCase() === RG.toLowerCase());
  assert.ok(assignment, `the assignment is listed (${JSON.stringify(list.body).slice(0, 300)})`);
  const deleted = await admin(0, 'DELETE', `${assignment.id}?api-version=2022-04-01`);
  assert.equal(deleted.status, 200);
  await assert.rejects(onNode2.userExists('someone'), (e: { statusCode?: number }) => e.statusCode === 403, 'the next call on node 2 is denied');
});

test('a key regenerated through node 1 is the only one node 2 accepts', { skip, timeout: 60_000 }, async () => {
  const id = `${RG}/providers/Microsoft.SignalRService/webPubSub/ccwps`;
  const before = new WebPubSubServiceClient(node(1).ready.resources.find((r) => r.name === 'ccwps')!.connectionString!, 'chat');
  assert.equal(await before.groupExists('g'), false);
  const renewed = await admin(0, 'POST', `${id}/regenerateKey?api-version=2024-03-01`, { keyType: 'Primary' });
  assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
  // DESIGN: a change through any node takes effect on every node within a second (node 2 re-reads the record).
  let status = 0;
  for (const until = Date.now() + 1000; Date.now() < until && status !== 401; await sleep(20)) {
    status = await before.groupExists('g').then(() => 200, (e: { statusCode?: number }) => e.statusCode ?? 0);
  }
  assert.equal(status, 401, 'the old key is refused on node 2 within a second');
  const after = new WebPubSubServiceClient(`Endpoint=${endpointOn(1, 'ccwps')};AccessKey=${renewed.body.primaryKey};Version=1.0;`, 'chat');
  assert.equal(await after.groupExists('g'), false, 'the new key works on node 2');
});

test('a resource created through ARM on node 1 serves on node 2; deleted, it stops there too', { skip, timeout: 60_000 }, async () => {
  const id = `${RG}/providers/Microsoft.SignalRService/webPubSub/ccnew`;
  const created = await admin(0, 'PUT', `${id}?api-version=2024-03-01`, { location: 'eastus', sku: { name: 'Standard_S1', capacity: 1 } });
  assert.ok(created.status === 200 || created.status === 201, JSON.stringify(created.body));
  let endpoint: string | undefined;
  for (let i = 0; i < 100 && !(endpoint = endpointOn(1, 'ccnew')); i++) await sleep(50);
  assert.ok(endpoint, 'node 2 started the new resource');
  const keys = await admin(1, 'POST', `${id}/listKeys?api-version=2024-03-01`);
  assert.equal(keys.status, 200);
  const client = new WebPubSubServiceClient(`Endpoint=${endpoint};AccessKey=${keys.body.primaryKey};Version=1.0;`, 'chat');
  assert.equal(await client.userExists('u'), false, 'node 2 answers for the new resource');
  const gone = await admin(0, 'DELETE', `${id}?api-version=2024-03-01`);
  assert.ok(gone.status === 200 || gone.status === 202 || gone.status === 204, JSON.stringify(gone.body));
  for (let i = 0; i < 100 && endpointOn(1, 'ccnew'); i++) await sleep(50);
  assert.equal(endpointOn(1, 'ccnew'), undefined, 'node 2 stopped it');
  await assert.rejects(fetch(`${endpoint}/api/health`), 'its listener on node 2 is closed');
});

test('an app and its secret created through Graph on node 1 sign in on node 2 at once', { skip, timeout: 60_000 }, async () => {
  const graph = async (method: string, path: string, body?: unknown) =>
    call(node(0).ready.httpsUrl, method, path, await miToken(asLapis(0), 'https://graph.microsoft.com'), body);
  const app = await graph('POST', '/v1.0/applications', { displayName: 'made-on-node-1' });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const password = await graph('POST', `/v1.0/applications/${app.body.id}/addPassword`, { passwordCredential: { displayName: 'ci' } });
  assert.equal(password.status, 200, JSON.stringify(password.body));
  // Node 2's own token endpoint: the app is there already. (MSAL itself must be given the cluster's one
  // authority host: a node's own URL fails its issuer check, since every node issues as the first node.)
  const res = await fetch(`${node(1).ready.httpsUrl}/${T}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.body.appId, client_secret: password.body.secretText, scope: 'https://management.azure.com/.default' }),
  });
  const body = await res.json() as { access_token?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.ok(body.access_token);
});
