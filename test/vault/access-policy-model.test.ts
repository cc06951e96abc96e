// The access-policy model on its own: matching (tenant, object, compound identity, `all`), the
// add/replace/remove merge semantics, validation, and config errors for unknown principals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accessPolicyListSchema, applyPolicyUpdate, keyVaultResourceSchema, normalisePolicy, policiesGrant, type AccessPolicyEntry,
} from '../../src/vault/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestLapis } from '../helpers/lapis.ts';

const T = '11111111-1111-4111-8111-111111111111';
const USER = '22222222-2222-4222-8222-222222222222';
const APP = '33333333-3333-4333-8333-333333333333';
const entry = (objectId: string, secrets: string[], applicationId?: string): AccessPolicyEntry => ({ tenantId: T, objectId, ...(applicationId ? { applicationId } : {}), permissions: { secrets } });

test('matching: tenant and object id; a compound identity only through its application; all grants everything', () => {
  const plain = [entry(USER, ['get'])];
  assert.equal(policiesGrant(plain, { tenantId: T, objectId: USER }, 'get'), true);
  assert.equal(policiesGrant(plain, { tenantId: T, objectId: USER.toUpperCase(), appId: APP }, 'get'), true, 'ids compare case-insensitively');
  assert.equal(policiesGrant(plain, { tenantId: T, objectId: USER }, 'list'), false);
  assert.equal(policiesGrant(plain, { tenantId: '44444444-4444-4444-8444-444444444444', objectId: USER }, 'get'), false, 'another tenant');
  const compound = [entry(USER, ['get'], APP)];
  assert.equal(policiesGrant(compound, { tenantId: T, objectId: USER }, 'get'), false);
  assert.equal(policiesGrant(compound, { tenantId: T, objectId: USER, appId: APP }, 'get'), true);
  assert.equal(policiesGrant([entry(USER, ['all'])], { tenantId: T, objectId: USER }, 'purge'), true);
  assert.equal(policiesGrant([entry(USER, ['get']), entry(USER, ['set'], APP)], { tenantId: T, objectId: USER, appId: APP }, 'set'), true, 'matching policies add up');
});

test('add merges per (tenant, object, application); remove takes permissions away and drops empty entries; replace sets the list', () => {
  let list = applyPolicyUpdate([], 'add', [entry(USER, ['get'])]);
  list = applyPolicyUpdate(list, 'add', [entry(USER, ['list', 'get']), entry(USER, ['set'], APP)]);
  assert.deepEqual(list, [entry(USER, ['get', 'list']), entry(USER, ['set'], APP)]);
  list = applyPolicyUpdate(list, 'remove', [entry(USER, ['get'])]);
  assert.deepEqual(list, [entry(USER, ['list']), entry(USER, ['set'], APP)]);
  list = applyPolicyUpdate(list, 'remove', [entry(USER, ['list'])]);
  assert.deepEqual(list, [entry(USER, ['set'], APP)]);
  assert.deepEqual(applyPolicyUpdate(list, 'replace', [entry(APP, ['get'])]), [entry(APP, ['get'])]);
  const full = Array.from({ length: 1024 }, (_, i) => entry(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, ['get']));
  assert.equal(applyPolicyUpdate([], 'replace', full).length, 1024);
  assert.throws(() => applyPolicyUpdate(full, 'add', [entry(USER, ['get'])]), RangeError);
});

test('validation: permission names in any casing, stored in Azure\'s spelling; unknown names and categories refused', () => {
  const ok = accessPolicyListSchema.parse([{ tenantId: T, objectId: USER, permissions: { secrets: ['GET', 'List', 'get'], keys: ['WRAPKEY'], certificates: null } }]);
  assert.deepEqual(ok.map(normalisePolicy), [{ tenantId: T, objectId: USER, permissions: { secrets: ['get', 'list'], keys: ['wrapKey'] } }]);
  assert.equal(accessPolicyListSchema.safeParse([{ tenantId: T, objectId: USER, permissions: { secrets: ['read'] } }]).success, false);
  assert.equal(accessPolicyListSchema.safeParse([{ tenantId: T, objectId: USER, permissions: { blobs: ['get'] } }]).success, false);
  assert.equal(accessPolicyListSchema.safeParse([{ tenantId: T, objectId: 'not-a-guid', permissions: {} }]).success, false);
  const both = keyVaultResourceSchema.safeParse({ type: 'Microsoft.KeyVault/vaults', name: 'kv-1', resourceGroup: 'rg', properties: { accessPolicies: [{ principal: 'x', objectId: USER, permissions: {} }] } });
  assert.match(both.error!.issues[0]!.message, /exactly one of objectId and principal/);
});

test('a config policy naming an unknown principal stops the start with its JSON path', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lapis-policy-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  await assert.rejects(startTestLapis({
    dataDir,
    config: { resources: [{ type: 'Microsoft.KeyVault/vaults', name: 'kv-x', resourceGroup: 'rg', properties: { enableRbacAuthorization: false, accessPolicies: [{ principal: 'nobody', permissions: { secrets: ['get'] } }] } }] },
  }), /\$\.resources\[0\]\.properties\.accessPolicies\[0\]\.principal: no application, user or managed identity is named 'nobody'/);
  await assert.rejects(startTestLapis({
    dataDir,
    config: { resources: [{ type: 'Microsoft.KeyVault/vaults', name: 'kv-x', resourceGroup: 'rg', properties: { accessPolicies: [{ principal: { systemAssignedIdentityOf: 'chat' }, permissions: { secrets: ['get'] } }] } }] },
  }), /principal: resource 'chat' has no system-assigned identity/);
});
