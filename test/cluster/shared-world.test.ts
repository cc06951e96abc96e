/**
 * Cluster mode, the world every node shares (PostgreSQL store): one tenant and subscription, one CA,
 * one issuer; tokens from any node are accepted by every node; a change made through one node's
 * API takes effect on the other at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ClientSecretCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';

const T = '5e1a7c2b-0000-4000-8000-00000000c1a1';
const S = '5e1a7c2b-0000-4000-8000-00000000c1a2';
const APP = { displayName: 'cluster-sender', appId: '5e1a7c2b-0000-4000-8000-00000000c1a3', secret: 'cluster-sender-secret-0123456789abcd' };
const skip = await clusterUnavailable();
let cluster: TestCluster | undefined;

before(async () => {
  if (skip) return;
  cluster = await startTestCluster({
    nodes: 2,
    config: {
      tenantId: T, subscriptionId: S,
      applications: [{ displayName: APP.displayName, appId: APP.appId, passwordCredentials: [{ displayName: 'ci', secretText: APP.secret }] }],
      resources: [{ type: 'Microsoft.SignalRService/WebPubSub', name: 'clusterwps', resourceGroup: 'rg-c' }],
      roleAssignments: [{ principal: APP.displayName, roleDefinitionName: 'Web PubSub Service Owner', scope: `/subscriptions/${S}/resourceGroups/rg-c` }],
    },
  });
});
after(async () => { await cluster?.stop(); });

test('every node presents the same CA, issuer, tenant and resource', { skip }, () => {
  const [a, b] = cluster!.nodes as [typeof cluster extends undefined ? never : TestCluster['nodes'][0], TestCluster['nodes'][0]];
  assert.equal(readFileSync(a.ready.caCertPath, 'utf8'), readFileSync(b.ready.caCertPath, 'utf8'));
  assert.equal(a.ready.authorityHost, b.ready.authorityHost, 'one issuer');
  assert.equal(a.ready.authorityHost, a.ready.httpsUrl, 'the first node\'s URL');
  assert.notEqual(b.ready.httpsUrl, a.ready.httpsUrl);
  assert.equal(a.ready.tenantId, T);
  assert.equal(b.ready.tenantId, T);
  assert.equal(a.ready.nodeName, 'node-1');
  assert.equal(b.ready.nodeName, 'node-2');
  assert.equal(b.ready.store, 'postgresql');
  assert.equal(b.ready.backplane, 'redis');
  const ra = a.ready.resources.find((r) => r.name === 'clusterwps')!;
  const rb = b.ready.resources.find((r) => r.name === 'clusterwps')!;
  assert.equal(ra.id, rb.id);
  assert.equal(/AccessKey=([^;]+)/.exec(ra.connectionString!)![1], /AccessKey=([^;]+)/.exec(rb.connectionString!)![1], 'one access key');
});

test('a token issued by one node is accepted by the other (Entra credential against node 1, REST call on node 2)', { skip }, async () => {
  const [a, b] = cluster!.nodes;
  const credential = new ClientSecretCredential(T, APP.appId, APP.secret, { authorityHost: a!.ready.authorityHost, disableInstanceDiscovery: true });
  const endpoint = b!.ready.resources.find((r) => r.name === 'clusterwps')!.endpoint!;
  const client = new WebPubSubServiceClient(endpoint, credential, 'chat');
  assert.equal(await client.groupExists('nobody-here'), false);
  const token = await client.getClientAccessToken({ userId: 'u1' });
  assert.match(token.url, /access_token=/);
});

test('a node given another master key does not start (the store\'s secrets would not open)', { skip }, async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { randomBytes } = await import('node:crypto');
  const { startLapis } = await import('../../src/server/node.ts');
  const { testRedis } = await import('../helpers/services.ts');
  const dir = mkdtempSync(join(tmpdir(), 'lapis-wrongkey-'));
  try {
    writeFileSync(join(dir, 'other.key'), randomBytes(32).toString('base64'));
    await assert.rejects(startLapis({
      dataDir: join(dir, 'data'), httpPort: 0, httpsPort: 0, host: '127.0.0.1', logLevel: 'silent',
      store: cluster!.storeUrl, backplane: testRedis().url, nodeName: 'intruder', masterKeyFile: join(dir, 'other.key'),
    }), (e: Error & { code?: string }) => e.code === 'WrongMasterKey' || /another master key/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
