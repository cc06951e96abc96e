// The ARM API for user-assigned managed identities (Microsoft.ManagedIdentity/userAssignedIdentities):
// create, read, list by resource group and subscription, tags, delete; RBAC on its actions; the new
// identity gets tokens from the managed-identity endpoint (its service principal is in the
// directory) and can hold role assignments; it survives a restart; once deleted its tokens fail.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { authz } from '../access/arm-harness.ts';
import { scrubAzureEnv } from '../identity/support.ts';
import { Arm, NOBODY, READER, RG, world } from './support.ts';

const T = 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e61';
const S = 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e62';
const V = 'api-version=2023-01-31';
const base = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
const path = (name: string, v = V) => `${base}/${name}?${v}`;
const WEBPUBSUB = 'https://webpubsub.azure.com';

let lapis: TestLapis;
let arm: Arm;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({ config: world(T, S, []) });
  arm = new Arm(lapis);
});

after(async () => {
  await lapis?.stop();
});

/** The managed-identity endpoint (App Service protocol) for one user-assigned identity. */
async function miTokenFor(clientId: string): Promise<{ status: number; body: any }> {
  const mi = lapis.ready.managedIdentity;
  const res = await fetch(`${mi.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(WEBPUBSUB)}&client_id=${clientId}`, { headers: { 'X-IDENTITY-HEADER': mi.identityHeader } });
  return { status: res.status, body: await res.json() };
}

test('PUT creates a user-assigned identity (201) with principalId, clientId and tenantId; PUT again keeps its ids (200)', async () => {
  const created = await arm.admin('PUT', path('uami-new'), { location: 'westeurope', tags: { team: 'chat' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const b = created.body;
  assert.equal(b.id, `${base}/uami-new`);
  assert.equal(b.name, 'uami-new');
  assert.equal(b.type, 'Microsoft.ManagedIdentity/userAssignedIdentities');
  assert.equal(b.location, 'westeurope');
  assert.deepEqual(b.tags, { team: 'chat' });
  assert.equal(b.properties.tenantId, T);
  assert.match(b.properties.principalId, /^[0-9a-f-]{36}$/);
  assert.match(b.properties.clientId, /^[0-9a-f-]{36}$/);

  const again = await arm.admin('PUT', path('uami-new'), { location: 'WestEurope', tags: {} });
  assert.equal(again.status, 200);
  assert.equal(again.body.properties.clientId, b.properties.clientId);
  assert.equal(again.body.properties.principalId, b.properties.principalId);
  assert.deepEqual(again.body.tags, {});

  const patched = await arm.admin('PATCH', path('uami-new'), { tags: { env: 'dev' } });
  assert.equal(patched.status, 200);
  assert.deepEqual(patched.body.tags, { env: 'dev' });

  const got = await arm.admin('GET', path('uami-new', 'api-version=2023-07-31-preview'));
  assert.equal(got.status, 200);
  assert.equal(got.body.properties.clientId, b.properties.clientId);

  // The service principal is in the directory, typed as a managed identity.
  const sp = lapis.node.identity.directory.servicePrincipal(b.properties.clientId);
  assert.equal(sp?.id, b.properties.principalId);
  assert.equal(sp?.servicePrincipalType, 'ManagedIdentity');
});

test('lists by resource group and by subscription include config-declared and created identities, not system-assigned ones', async () => {
  await arm.admin('PUT', path('uami-list'), { location: 'eastus' });
  const byRg = await arm.admin('GET', `${base}?${V}`);
  assert.equal(byRg.status, 200);
  const names = byRg.body.value.map((v: { name: string }) => v.name);
  for (const n of ['uami-1', 'uami-2', 'uami-list']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
  const bySub = await arm.admin('GET', `/subscriptions/${S}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?${V}`);
  assert.equal(bySub.status, 200);
  assert.ok(bySub.body.value.length >= names.length);
  assert.ok(!bySub.body.value.some((v: { name: string }) => v.name === 'lapis-host'), 'the host identity is system-assigned');
  const otherRg = await arm.admin('GET', `/subscriptions/${S}/resourceGroups/rg-empty/providers/Microsoft.ManagedIdentity/userAssignedIdentities?${V}`);
  assert.deepEqual(otherRg.body.value, []);
});

test('the new identity gets tokens from the managed-identity endpoint and can hold a role assignment', async () => {
  const b = (await arm.admin('PUT', path('uami-token'), { location: 'eastus' })).body;
  const t = await miTokenFor(b.properties.clientId);
  assert.equal(t.status, 200, JSON.stringify(t.body));
  const claims = JSON.parse(Buffer.from(t.body.access_token.split('.')[1], 'base64url').toString());
  assert.equal(claims.oid, b.properties.principalId);
  assert.equal(String(claims.xms_mirid).toLowerCase(), `${base}/uami-token`.toLowerCase());

  const scope = `/subscriptions/${S}/resourceGroups/${RG}`;
  const ra = await arm.admin('PUT', authz(scope, 'roleAssignments/7d1a3c5e-0000-4000-8000-0000000000a1'), {
    properties: { roleDefinitionId: `/subscriptions/${S}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`, principalId: b.properties.principalId },
  });
  assert.equal(ra.status, 201, JSON.stringify(ra.body));
  assert.equal(ra.body.properties.principalType, 'ServicePrincipal');
});

test('DELETE removes the identity and its service principal (200, then 204); its tokens then fail, as in Azure', async () => {
  const b = (await arm.admin('PUT', path('uami-gone'), { location: 'eastus' })).body;
  const del = await arm.admin('DELETE', path('uami-gone'));
  assert.equal(del.status, 200);
  const got = await arm.admin('GET', path('uami-gone'));
  assert.equal(got.status, 404);
  assert.equal(got.body.error.code, 'ResourceNotFound');
  assert.equal(lapis.node.identity.directory.servicePrincipal(b.properties.clientId), undefined);
  const t = await miTokenFor(b.properties.clientId);
  assert.notEqual(t.status, 200);
  assert.equal((await arm.admin('DELETE', path('uami-gone'))).status, 204);
});

test('validation: name, location, api-version, subscription', async () => {
  const bad = await arm.admin('PUT', path('a!'), { location: 'eastus' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'InvalidResourceName');
  const noLocation = await arm.admin('PUT', path('uami-nol'), {});
  assert.equal(noLocation.status, 400);
  assert.equal(noLocation.body.error.code, 'LocationRequired');
  const moved = await arm.admin('PUT', path('uami-new'), { location: 'eastus' });
  assert.equal(moved.status, 400);
  assert.equal(moved.body.error.code, 'InvalidResourceLocation');
  const version = await arm.admin('GET', path('uami-new', 'api-version=2099-01-01'));
  assert.equal(version.status, 400);
  assert.equal(version.body.error.code, 'NoRegisteredProviderFound');
  const sub = await arm.admin('PUT', `/subscriptions/00000000-0000-4000-8000-000000000099/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-x?${V}`, { location: 'eastus' });
  assert.equal(sub.status, 404);
  assert.equal(sub.body.error.code, 'SubscriptionNotFound');
  const type = await arm.admin('GET', `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/identities?${V}`);
  assert.equal(type.status, 404);
  assert.equal(type.body.error.code, 'InvalidResourceType');
});

test('RBAC: a Reader reads and lists but cannot create or delete; a principal with no role cannot read', async () => {
  assert.equal((await arm.as(READER, 'GET', path('uami-1'))).status, 200);
  assert.equal((await arm.as(READER, 'GET', `${base}?${V}`)).status, 200);
  const put = await arm.as(READER, 'PUT', path('uami-reader'), { location: 'eastus' });
  assert.equal(put.status, 403);
  assert.equal(put.body.error.code, 'AuthorizationFailed');
  assert.match(put.body.error.message, /Microsoft\.ManagedIdentity\/userAssignedIdentities\/write/);
  const del = await arm.as(READER, 'DELETE', path('uami-1'));
  assert.equal(del.status, 403);
  assert.match(del.body.error.message, /userAssignedIdentities\/delete/);
  const nobody = await arm.as(NOBODY, 'GET', path('uami-1'));
  assert.equal(nobody.status, 403);
  assert.match(nobody.body.error.message, /userAssignedIdentities\/read/);
});

test('a created identity survives a restart with the same ids', async () => {
  const b = (await arm.admin('PUT', path('uami-kept'), { location: 'northeurope' })).body;
  await lapis.restart();
  const got = await arm.admin('GET', path('uami-kept'));
  assert.equal(got.status, 200);
  assert.equal(got.body.properties.clientId, b.properties.clientId);
  assert.equal(got.body.properties.principalId, b.properties.principalId);
  assert.equal(got.body.location, 'northeurope');
});
