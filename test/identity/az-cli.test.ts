// The az CLI 2.45, unmodified, through a custom cloud (issue 10 §4): `az cloud register` against
// Lapis's ARM metadata, `az login --service-principal` (ends with GET /subscriptions),
// `az account show`, `az account get-access-token --resource https://webpubsub.azure.com` and
// `az rest` against the Web PubSub data plane. Each test run has its own AZURE_CONFIG_DIR (a temp
// folder) so nothing touches the user's az settings; telemetry and version checks are off so az
// talks to nothing but Lapis. Skips with the reason when az is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { azLoginServicePrincipal, azOk, azWorld, useLapisCloud } from '../helpers/az.ts';
import { verifyAccessToken, WEBPUBSUB } from './support.ts';

const TENANT = 'b15d7a96-4f2c-4a0e-9d65-9c7e8f0a1b50';
const SUB = 'b15d7a96-4f2c-4a0e-9d65-9c7e8f0a1b51';
const SP = { displayName: 'az-sp', appId: 'b15d7a96-4f2c-4a0e-9d65-9c7e8f0a1b52', secret: 'Az-secret-value-0123456789' };
const RESOURCE = `/subscriptions/${SUB}/resourceGroups/rg-az/providers/Microsoft.SignalRService/webPubSub/azchat`;
const world = azWorld('az CLI tests', {
  tenantId: TENANT, subscriptionId: SUB,
  applications: [{ displayName: SP.displayName, appId: SP.appId, passwordCredentials: [{ secretText: SP.secret }] }],
  resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'azchat', resourceGroup: 'rg-az' }],
  // Its only role is on the resource: ARM still lists the subscription to it (az login needs one).
  roleAssignments: [{ principal: SP.displayName, roleDefinitionName: 'Web PubSub Service Owner', scope: RESOURCE }],
});
const { skip, az } = world;
const ok = azOk;

test('az: register the Lapis cloud, log in as a service principal, read the account, get a Web PubSub token, call the data plane', { skip, timeout: 600_000 }, async () => {
  const H = world.host;
  await useLapisCloud(world.run, H);

  const login = await azLoginServicePrincipal(world, SP, TENANT);
  assert.deepEqual(login.json.map((s: any) => s.id), [SUB], 'az login found the subscription through GET /subscriptions');
  assert.equal(login.json[0].tenantId, TENANT);

  const show = await az('account', 'show');
  ok(show, 'az account show');
  assert.equal(show.json.id, SUB);
  assert.equal(show.json.tenantId, TENANT);
  assert.equal(show.json.environmentName, 'Lapis');
  assert.deepEqual(show.json.user, { name: SP.appId, type: 'servicePrincipal' });

  const token = await az('account', 'get-access-token', '--resource', WEBPUBSUB);
  ok(token, 'az account get-access-token');
  assert.equal(token.json.tenant, TENANT);
  const v = await verifyAccessToken(world.lapis.ready, token.json.accessToken, { audience: WEBPUBSUB, ver: '1.0' });
  assert.equal(v.payload.appid, SP.appId);

  const endpoint = world.lapis.ready.resources!.find((r) => r.name === 'azchat')!.endpoint;
  const send = await az('rest', '--method', 'post', '--url', `${endpoint}/api/hubs/chat/:send?api-version=2024-01-01`,
    '--resource', WEBPUBSUB, '--headers', 'Content-Type=text/plain', '--body', 'hello from az', '--debug');
  ok(send, 'az rest :send');
  assert.match(send.stderr, /Response status: 202/);

  const subs = await az('rest', '--method', 'get', '--url', `${H}/subscriptions?api-version=2022-12-01`);
  ok(subs, 'az rest GET /subscriptions');
  assert.equal(subs.json.value[0].subscriptionId, SUB);
});
