// `az identity create/show/list/delete` (az CLI 2.45, unmodified, api-version 2022-01-31-preview)
// against Lapis through a custom cloud, as a service principal that is Contributor on the resource
// group; then the identity az created gets a token from the managed-identity endpoint. Each run has
// its own AZURE_CONFIG_DIR; telemetry and version checks are off. Skips when az is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { azLoginServicePrincipal, azOk, azWorld, useLapisCloud } from '../helpers/az.ts';

const TENANT = 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f71';
const SUB = 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f72';
const SP = { displayName: 'az-identity-sp', appId: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f73', secret: 'Az-identity-secret-0123456789' };
const world = azWorld('az identity tests', {
  tenantId: TENANT, subscriptionId: SUB,
  applications: [{ displayName: SP.displayName, appId: SP.appId, passwordCredentials: [{ secretText: SP.secret }] }],
  roleAssignments: [{ principal: SP.displayName, roleDefinitionName: 'Contributor', scope: `/subscriptions/${SUB}/resourceGroups/rg-az` }],
});
const { skip, az } = world;
const ok = azOk;

test('az identity create, show, list, delete; the created identity gets a token', { skip, timeout: 600_000 }, async () => {
  const H = world.host;
  await useLapisCloud(world.run, H);
  await azLoginServicePrincipal(world, SP, TENANT);

  const created = await az('identity', 'create', '-g', 'rg-az', '-n', 'id-from-az', '-l', 'westus2');
  ok(created, 'az identity create');
  assert.equal(created.json.name, 'id-from-az');
  assert.equal(created.json.location, 'westus2');
  assert.equal(created.json.tenantId, TENANT);
  assert.match(created.json.clientId, /^[0-9a-f-]{36}$/);
  assert.match(created.json.principalId, /^[0-9a-f-]{36}$/);

  const shown = await az('identity', 'show', '-g', 'rg-az', '-n', 'id-from-az');
  ok(shown, 'az identity show');
  assert.equal(shown.json.clientId, created.json.clientId);
  assert.equal(shown.json.id, `/subscriptions/${SUB}/resourceGroups/rg-az/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-from-az`);

  const listed = await az('identity', 'list', '-g', 'rg-az');
  ok(listed, 'az identity list');
  assert.deepEqual(listed.json.map((i: { name: string }) => i.name), ['id-from-az']);

  const mi = world.lapis.ready.managedIdentity;
  const res = await fetch(`${mi.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://webpubsub.azure.com')}&client_id=${created.json.clientId}`, { headers: { 'X-IDENTITY-HEADER': mi.identityHeader } });
  assert.equal(res.status, 200);

  ok(await az('identity', 'delete', '-g', 'rg-az', '-n', 'id-from-az'), 'az identity delete');
  const gone = await az('identity', 'show', '-g', 'rg-az', '-n', 'id-from-az');
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /ResourceNotFound|was not found/);
});
