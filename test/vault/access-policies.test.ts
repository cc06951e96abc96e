/**
 * Key Vault access policies: a vault with `enableRbacAuthorization: false`, its policies declared
 * in the config by principal name, changed through the ARM API (`accessPolicies/{add|remove}`,
 * PATCH of the vault) and obeyed by the data plane on the next call, seen through the unmodified
 * SecretClient.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

const T = '6a1b7c55-0000-4000-8000-0000000000a1';
const S = '6a1b7c55-0000-4000-8000-0000000000b1';
const RG = 'rg-pol';
const VAULT = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/kv-pol`;
const API = 'api-version=2023-07-01';
const SECRETS = { reader: 'kv-reader-secret-0123456789abcdef', writer: 'kv-writer-secret-0123456789abcdef', admin: 'kv-admin-secret-0123456789abcdefg' } as const;
type Who = keyof typeof SECRETS;

let lapis: TestLapis;
before(async () => {
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      applications: (Object.keys(SECRETS) as Who[]).map((n) => ({ displayName: `kv-${n}`, passwordCredentials: [{ secretText: SECRETS[n] }] })),
      resources: [{
        type: 'Microsoft.KeyVault/vaults', name: 'kv-pol', resourceGroup: RG,
        properties: {
          enableRbacAuthorization: false,
          softDeleteRetentionInDays: 7,
          accessPolicies: [
            { principal: 'kv-reader', permissions: { secrets: ['Get'] } },
            { principal: 'kv-writer', permissions: { secrets: ['get', 'list', 'set', 'delete'] } },
          ],
        },
        secrets: [{ name: 'shared', value: 'for readers' }],
      }],
      roleAssignments: [
        // Roles do not count while the vault uses access policies.
        { principal: 'kv-reader', roleDefinitionName: 'Key Vault Secrets Officer', scope: VAULT },
        { principal: 'kv-admin', roleDefinitionName: 'Contributor', scope: `/subscriptions/${S}/resourceGroups/${RG}` },
      ],
    },
  });
});
after(async () => { await lapis?.stop(); });

const app = (who: Who) => lapis.node.identity.directory.findApplication(`kv-${who}`)!;
const oid = (who: Who) => lapis.node.identity.directory.servicePrincipal(app(who).appId)!.id;
const credential = (who: Who) => new ClientSecretCredential(T, app(who).appId, SECRETS[who], { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
const client = (who: Who) => new SecretClient(lapis.ready.resources.find((r) => r.name === 'kv-pol')!.vaultUri!, credential(who), { disableChallengeResourceVerification: true });

async function arm(who: Who, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const token = (await credential(who).getToken('https://management.azure.com/.default'))!.token;
  const res = await fetch(`${lapis.ready.managementEndpoint}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const policyDenied = (permission: string, who: Who) => (e: any) => {
  assert.equal(e.statusCode, 403);
  assert.equal(e.code, 'Forbidden');
  assert.equal(e.details?.error?.innerError?.code, 'ForbiddenByPolicy');
  assert.match(e.message, new RegExp(`^The user, group or application 'appid=${app(who).appId};oid=${oid(who)};iss=[^']+' does not have secrets ${permission} permission on key vault 'kv-pol;location=local'\\. For help resolving this issue, please see https://go\\.microsoft\\.com/fwlink/\\?linkid=2125287 See https://\\S+#/denied/[0-9a-f-]{36} for why \\(denial id [0-9a-f-]{36}\\)\\.$`));
  assert.match(e.response?.headers.get('x-ms-lapis-denial-id') ?? '', /^[0-9a-f-]{36}$/);
  return true;
};

test('a policy granting get reads; set is refused with Key Vault\'s 403 ForbiddenByPolicy (a role does not help)', async () => {
  assert.equal((await client('reader').getSecret('shared')).value, 'for readers');
  await assert.rejects(client('reader').setSecret('shared', 'overwrite'), policyDenied('set', 'reader'));
  await assert.rejects(client('admin').getSecret('shared'), policyDenied('get', 'admin'));
  const names: string[] = [];
  for await (const p of client('writer').listPropertiesOfSecrets()) names.push(p.name);
  assert.deepEqual(names, ['shared']);
  await assert.rejects(async () => { for await (const _ of client('reader').listPropertiesOfSecrets()) { /* denied */ } }, 
    // The SDK's pager reports only the status of a refused page.
    (e: any) => e.statusCode === 403 && e.code === 'Forbidden');
});

test('ARM GET shows the model; accessPolicies/add and /remove apply on the next data-plane call', async () => {
  const got = await arm('admin', 'GET', `${VAULT}?${API}`);
  assert.equal(got.status, 200);
  assert.equal(got.json.type, 'Microsoft.KeyVault/vaults');
  assert.equal(got.json.properties.enableRbacAuthorization, false);
  assert.deepEqual(got.json.properties.accessPolicies.find((p: any) => p.objectId === oid('reader')), { tenantId: T, objectId: oid('reader'), permissions: { secrets: ['get'] } });

  const add = await arm('admin', 'PUT', `${VAULT}/accessPolicies/add?${API}`, { properties: { accessPolicies: [{ tenantId: T, objectId: oid('reader'), permissions: { secrets: ['SET', 'list'] } }] } });
  assert.equal(add.status, 200, JSON.stringify(add.json));
  assert.equal(add.json.type, 'Microsoft.KeyVault/vaults/accessPolicies');
  const merged = (await arm('admin', 'GET', `${VAULT}?${API}`)).json.properties.accessPolicies.filter((p: any) => p.objectId === oid('reader'));
  assert.deepEqual(merged, [{ tenantId: T, objectId: oid('reader'), permissions: { secrets: ['get', 'set', 'list'] } }], 'add merges into the same principal\'s entry');
  const set = await client('reader').setSecret('shared', 'by the reader');
  assert.equal(set.value, 'by the reader');

  const remove = await arm('admin', 'PUT', `${VAULT}/accessPolicies/remove?${API}`, { properties: { accessPolicies: [{ tenantId: T, objectId: oid('reader'), permissions: { secrets: ['get', 'set', 'list'] } }] } });
  assert.equal(remove.status, 200);
  assert.equal((await arm('admin', 'GET', `${VAULT}?${API}`)).json.properties.accessPolicies.some((p: any) => p.objectId === oid('reader')), false, 'an entry left with no permissions is dropped');
  await assert.rejects(client('reader').getSecret('shared'), policyDenied('get', 'reader'));
});

test('ARM validates policies as Azure does and is authorised by RBAC', async () => {
  const bad = await arm('admin', 'PUT', `${VAULT}/accessPolicies/add?${API}`, { properties: { accessPolicies: [{ tenantId: T, objectId: oid('reader'), permissions: { secrets: ['read'] } }] } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'BadRequest');
  assert.match(bad.json.error.message, /'properties\.accessPolicies\[0\]\.permissions\.secrets\[0\]': 'read' is not a secrets permission/);
  const many = Array.from({ length: 1025 }, (_, i) => ({ tenantId: T, objectId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, permissions: { secrets: ['get'] } }));
  const tooMany = await arm('admin', 'PUT', `${VAULT}/accessPolicies/replace?${API}`, { properties: { accessPolicies: many } });
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.json.error.message, /at most 1024 access policies/);
  const badKind = await arm('admin', 'PUT', `${VAULT}/accessPolicies/merge?${API}`, { properties: { accessPolicies: [] } });
  assert.equal(badKind.status, 400);

  const denied = await arm('writer', 'PUT', `${VAULT}/accessPolicies/add?${API}`, { properties: { accessPolicies: [{ tenantId: T, objectId: oid('writer'), permissions: { secrets: ['all'] } }] } });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.error.code, 'AuthorizationFailed');
  assert.match(denied.json.error.message, /Microsoft\.KeyVault\/vaults\/accessPolicies\/write/);
  const deniedPatch = await arm('writer', 'PATCH', `${VAULT}?${API}`, { properties: { enableRbacAuthorization: false } });
  assert.equal(deniedPatch.status, 403);
  assert.match(deniedPatch.json.error.message, /Microsoft\.KeyVault\/vaults\/write/);
  // GET → PUT round trip: what ARM shows is accepted back unchanged.
  const shown = (await arm('admin', 'GET', `${VAULT}?${API}`)).json;
  const put = await arm('admin', 'PUT', `${VAULT}?${API}`, shown);
  assert.equal(put.status, 200, JSON.stringify(put.json));
  assert.deepEqual(put.json, shown);
  const missing = await arm('admin', 'GET', `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/nope?${API}`);
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'ResourceNotFound');
});

test('PATCH enableRbacAuthorization switches the model for the next call (RBAC 403 is ForbiddenByRbac)', async () => {
  const toRbac = await arm('admin', 'PATCH', `${VAULT}?${API}`, { properties: { enableRbacAuthorization: true } });
  assert.equal(toRbac.status, 200);
  assert.equal(toRbac.json.properties.enableRbacAuthorization, true);
  // The reader holds Key Vault Secrets Officer on the vault: under RBAC it may write.
  assert.equal((await client('reader').setSecret('shared', 'under rbac')).value, 'under rbac');
  await assert.rejects(client('writer').getSecret('shared'), (e: any) => e.statusCode === 403 && e.details?.error?.innerError?.code === 'ForbiddenByRbac');

  const back = await arm('admin', 'PATCH', `${VAULT}?${API}`, { properties: { enableRbacAuthorization: false } });
  assert.equal(back.json.properties.enableRbacAuthorization, false);
  assert.equal((await client('writer').getSecret('shared')).value, 'under rbac');
  await assert.rejects(client('reader').getSecret('shared'), policyDenied('get', 'reader'));
  const refused = await arm('admin', 'PATCH', `${VAULT}?${API}`, { properties: { enablePurgeProtection: true } });
  assert.equal(refused.status, 400);
});

test('policies added at run time survive a restart; declared ones are applied again', async () => {
  const add = await arm('admin', 'PUT', `${VAULT}/accessPolicies/add?${API}`, { properties: { accessPolicies: [{ tenantId: T, objectId: oid('admin'), permissions: { secrets: ['get'] } }] } });
  assert.equal(add.status, 200);
  // A run-time change to a declared principal's policy is undone by the config at the next start.
  await arm('admin', 'PUT', `${VAULT}/accessPolicies/remove?${API}`, { properties: { accessPolicies: [{ tenantId: T, objectId: oid('writer'), permissions: { secrets: ['set'] } }] } });
  await lapis.restart();
  const policies = (await arm('admin', 'GET', `${VAULT}?${API}`)).json.properties.accessPolicies;
  assert.deepEqual(policies.find((p: any) => p.objectId === oid('admin')).permissions, { secrets: ['get'] });
  assert.deepEqual(policies.find((p: any) => p.objectId === oid('writer')).permissions, { secrets: ['get', 'list', 'set', 'delete'] });
  // (The declared secret's value is applied again at start, too.)
  assert.equal((await client('admin').getSecret('shared')).value, 'for readers');
});

test('the declared soft-delete retention is what deletion schedules and what ARM shows', async () => {
  const writer = client('writer');
  await writer.setSecret('short-lived', 'x');
  const poller = await writer.beginDeleteSecret('short-lived');
  const deleted = await poller.pollUntilDone();
  const days = (deleted.properties.scheduledPurgeDate!.getTime() - deleted.properties.deletedOn!.getTime()) / 86_400_000;
  assert.equal(Math.round(days), 7);
  const got = await arm('admin', 'GET', `${VAULT}?${API}`);
  assert.equal(got.status, 200);
  assert.equal(got.json.properties.softDeleteRetentionInDays, 7);
});
