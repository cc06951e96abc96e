import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientSecretCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

/**
 * Seeds 000/001/002 end to end: apps authenticate to Lapis's identity service, present the Entra
 * token to the Web PubSub data plane (unmodified SDKs), and Azure RBAC decides.
 */
const T = '7d3c1a2b-0000-4000-8000-00000000aa01';
const S = '7d3c1a2b-0000-4000-8000-00000000bb01';
const app = (displayName: string, n: number) => ({ displayName, appId: `7d3c1a2b-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`, secret: `${displayName}-secret-0123456789abcdef` });
const OWNER = app('owner-app', 1);
const READER = app('reader-app', 2);
const NOROLE = app('norole-app', 3);
const SENDER = app('sender-app', 4);
const MGAPP = app('mg-app', 5);
const APPS = [OWNER, READER, NOROLE, SENDER, MGAPP];
const RG = `/subscriptions/${S}/resourceGroups/rg-1`;
const CHAT = `${RG}/providers/Microsoft.SignalRService/webPubSub/chat`;

const config = {
  tenantId: T, subscriptionId: S,
  managementGroups: [{ name: 'mg-root' }, { name: 'mg-child', parent: 'mg-root', subscriptions: [S] }],
  applications: APPS.map((a) => ({ displayName: a.displayName, appId: a.appId, passwordCredentials: [{ displayName: 'ci', secretText: a.secret }] })),
  resources: [
    { type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: 'rg-1' },
    { type: 'Microsoft.SignalRService/webPubSub', name: 'locked', resourceGroup: 'rg-1', properties: { disableLocalAuth: true } },
  ],
  roleDefinitions: [{
    roleName: 'WPS Group Sender', description: 'may send to groups, nothing else',
    permissions: [{ dataActions: ['Microsoft.SignalRService/WebPubSub/group/send/action'] }],
    assignableScopes: [`/subscriptions/${S}`],
  }],
  roleAssignments: [
    { principal: 'owner-app', roleDefinitionName: 'Web PubSub Service Owner', scope: RG },
    { principal: READER.appId, roleDefinitionName: 'Web PubSub Service Reader', scope: CHAT },
    { principal: 'sender-app', roleDefinitionName: 'WPS Group Sender', scope: CHAT },
    { principal: 'mg-app', roleDefinitionName: 'Web PubSub Service Owner', scope: '/providers/Microsoft.Management/managementGroups/mg-root' },
  ],
};

let lapis: TestLapis;
const endpoint = (name: string) => lapis.ready.resources.find((r) => r.name === name)!.endpoint!;
const credential = (a: { appId: string; secret: string }) => new ClientSecretCredential(T, a.appId, a.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
const service = (a: { appId: string; secret: string }, resource = 'chat', hub = 'rbac') => new WebPubSubServiceClient(endpoint(resource), credential(a), hub);

before(async () => { lapis = await startTestLapis({ config }); });
after(async () => { await lapis.stop(); });

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as { statusCode?: number }).statusCode ?? -1;
  }
}

async function errorOf(p: Promise<unknown>): Promise<{ statusCode?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { statusCode?: number; message: string };
  }
  throw new Error('expected a failure');
}

test('Web PubSub Service Owner at resource-group scope: sends to all, and its client tokens connect', async () => {
  const owner = service(OWNER);
  const { url } = await owner.getClientAccessToken({ userId: 'alice', roles: ['webpubsub.joinLeaveGroup'] });
  assert.match(url, /^wss:\/\/localhost:\d+\/client\/hubs\/rbac\?access_token=/);
  const client = new WebPubSubClient(url, { keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 1500 } as never);
  const got = new Promise<unknown>((resolve) => client.on('server-message', (e) => resolve(e.message.data)));
  await client.start();
  await owner.sendToAll({ from: 'entra' });
  assert.deepEqual(await Promise.race([got, sleep(5000).then(() => 'timeout')]), { from: 'entra' });
  assert.equal(await owner.userExists('alice'), true);
  client.stop();
});

test('Web PubSub Service Reader may only read; the 403 names the missing DataAction and the scope', async () => {
  const reader = service(READER);
  assert.equal(await reader.groupExists('nobody-here'), false, 'read operations work');
  assert.equal(await reader.userExists('nobody'), false);
  const err = await errorOf(reader.sendToAll('x', { contentType: 'text/plain' }));
  assert.equal(err.statusCode, 403);
  assert.match(err.message, /Microsoft\.SignalRService\/WebPubSub\/hub\/send\/action/);
  assert.match(err.message, /webPubSub\/chat\/hubs\/rbac/i);
  assert.equal(await statusOf(reader.getClientAccessToken({ userId: 'u' })), 403, 'generateToken needs its own DataAction');
});

test('an app with no role gets 403, and a wrong audience or a forged token 401', async () => {
  assert.equal(await statusOf(service(NOROLE).sendToAll('x', { contentType: 'text/plain' })), 403);
  const vaultToken = await credential(OWNER).getToken('https://vault.azure.net/.default');
  const res = await fetch(`${endpoint('chat')}/api/hubs/rbac/:send?api-version=2024-12-01`, {
    method: 'POST', headers: { authorization: `Bearer ${vaultToken!.token}`, 'content-type': 'text/plain' }, body: 'x',
  });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
  const good = (await credential(OWNER).getToken('https://webpubsub.azure.com/.default'))!.token;
  const [h, p] = good.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), oid: randomUUID() })).toString('base64url')}.${good.split('.')[2]}`;
  const r2 = await fetch(`${endpoint('chat')}/api/hubs/rbac/:send?api-version=2024-12-01`, {
    method: 'POST', headers: { authorization: `Bearer ${forged}`, 'content-type': 'text/plain' }, body: 'x',
  });
  assert.equal(r2.status, 401);
});

test('a custom role with only group/send/action may send to groups and nothing else', async () => {
  const sender = service(SENDER);
  await sender.group('g1').sendToAll('hello group', { contentType: 'text/plain' });
  assert.equal(await statusOf(sender.sendToAll('x', { contentType: 'text/plain' })), 403);
  assert.equal(await statusOf(sender.sendToUser('u', 'x', { contentType: 'text/plain' })), 403);
  assert.equal(await statusOf(sender.groupExists('g1')), 403);
});

test('an assignment at a management group is inherited by the subscription, resource group and resource below', async () => {
  await service(MGAPP).sendToAll('from mg', { contentType: 'text/plain' });
  await service(MGAPP, 'locked').sendToAll('from mg', { contentType: 'text/plain' });
});

test('an assignment made through the ARM API takes effect on the next call, and its removal denies the very next one', async () => {
  const mgmt = await hostToken();
  const norole = service(NOROLE);
  assert.equal(await statusOf(norole.sendToAll('x', { contentType: 'text/plain' })), 403);
  const name = randomUUID();
  const url = `${lapis.ready.managementEndpoint}${CHAT}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`;
  const spId = lapis.node.identity.directory.servicePrincipal(NOROLE.appId)!.id;
  const put = await fetch(url, {
    method: 'PUT', headers: { authorization: `Bearer ${mgmt}`, 'content-type': 'application/json' },
    body: JSON.stringify({ properties: { roleDefinitionId: `/subscriptions/${S}/providers/Microsoft.Authorization/roleDefinitions/12cf5a90-567b-43ae-8102-96cf46c7d9b4`, principalId: spId } }),
  });
  assert.equal(put.status, 201, await put.clone().text());
  assert.equal(await statusOf(norole.sendToAll('x', { contentType: 'text/plain' })), 200, 'granted on the next call');
  const del = await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${mgmt}` } });
  assert.equal(del.status, 200);
  assert.equal(await statusOf(norole.sendToAll('x', { contentType: 'text/plain' })), 403, 'denied on the very next call');
});

test('disableLocalAuth refuses the connection string while Entra tokens keep working', async () => {
  const locked = lapis.ready.resources.find((r) => r.name === 'locked')!;
  const byKey = new WebPubSubServiceClient(locked.connectionString!, 'h');
  const status = await statusOf(byKey.sendToAll('x', { contentType: 'text/plain' }));
  assert.ok(status === 401 || status === 403, String(status));
  await service(OWNER, 'locked', 'h').sendToAll('x', { contentType: 'text/plain' });
  // Client tokens from :generateToken still connect with local auth off.
  const { url } = await service(OWNER, 'locked', 'h').getClientAccessToken({ userId: 'bob' });
  const client = new WebPubSubClient(url, { keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 1500 } as never);
  await client.start();
  client.stop();
});

test('explain names the deciding assignment for an allow, and every assignment considered for a deny', async () => {
  const mgmt = await hostToken();
  const explain = async (body: object) => {
    const r = await fetch(`${lapis.ready.managementEndpoint}/providers/Microsoft.Lapis/explainAccess?api-version=2022-04-01`, {
      method: 'POST', headers: { authorization: `Bearer ${mgmt}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, await r.clone().text());
    return await r.json() as { allowed: boolean; decidingAssignment?: { scope: string }; decidingRole?: { roleName: string }; matchedPattern?: string; considered: unknown[] };
  };
  const ownerSp = lapis.node.identity.directory.servicePrincipal(OWNER.appId)!.id;
  const allow = await explain({ principalId: ownerSp, dataAction: 'Microsoft.SignalRService/WebPubSub/hub/send/action', scope: `${CHAT}/hubs/rbac` });
  assert.equal(allow.allowed, true);
  assert.equal(allow.decidingRole?.roleName, 'Web PubSub Service Owner');
  assert.equal(allow.decidingAssignment?.scope.toLowerCase(), RG.toLowerCase());
  assert.equal(allow.matchedPattern, 'Microsoft.SignalRService/WebPubSub/*');
  const readerSp = lapis.node.identity.directory.servicePrincipal(READER.appId)!.id;
  const deny = await explain({ principalId: readerSp, dataAction: 'Microsoft.SignalRService/WebPubSub/hub/send/action', scope: `${CHAT}/hubs/rbac` });
  assert.equal(deny.allowed, false);
  assert.ok(deny.considered.length >= 1);
});

async function hostToken(): Promise<string> {
  const mi = lapis.ready.managedIdentity;
  const r = await fetch(`${mi.identityEndpoint}?api-version=2019-08-01&resource=https://management.azure.com`, { headers: { 'X-IDENTITY-HEADER': mi.identityHeader } });
  return ((await r.json()) as { access_token: string }).access_token;
}
