// The denial log on its own: what a record keeps (claims allow-listed, query values blanked, no
// token), the decision trace and nearest missing assignment of a 403, who may read a record, and
// the bound of the ring.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessControl, BUILT_IN_ROLES } from '../../src/access/index.ts';
import { assignmentScopeFor, nearestMissingAssignment, redactClaims, redactPath } from '../../src/access/denials/index.ts';
import { openMemoryStore } from '../../src/store/index.ts';

const SUB = '11111111-2222-4333-8444-555555555555';
const WPS = `/subscriptions/${SUB}/resourceGroups/rg-1/providers/Microsoft.SignalRService/webPubSub/chat`;
const SEND = 'Microsoft.SignalRService/WebPubSub/hub/send/action';
const CALLER = 'aaaaaaaa-0000-4000-8000-000000000001';
const ADMIN = 'aaaaaaaa-0000-4000-8000-000000000002';
const OTHER = 'aaaaaaaa-0000-4000-8000-000000000003';

async function accessControl(capacity?: number) {
  const access = new AccessControl({
    store: openMemoryStore(), resolvePrincipal: () => ({ principalType: 'ServicePrincipal' }),
    scopeTree: { subscriptions: [SUB] }, ...capacity ? { denialCapacity: capacity } : {},
  });
  await access.load();
  const reader = BUILT_IN_ROLES.find((r) => r.roleName === 'Reader')!;
  const uaa = BUILT_IN_ROLES.find((r) => r.roleName === 'User Access Administrator')!;
  await access.ensureRoleAssignment({ scope: WPS, roleDefinitionId: reader.name, principalId: CALLER });
  await access.ensureRoleAssignment({ scope: `/subscriptions/${SUB}`, roleDefinitionId: uaa.name, principalId: ADMIN });
  return access;
}

const denied403 = {
  status: 403 as const, code: 'Forbidden', surface: 'webpubsub' as const, resource: 'chat', method: 'post',
  url: `/api/hubs/h1/:send?api-version=2024-01-01&access_token=SECRET-TOKEN`, principalId: CALLER.toUpperCase(),
  claims: { aud: 'https://webpubsub.azure.com', oid: CALLER, tid: 't', appid: 'app', exp: 1, signature: 'x', secret: 'leak', roles: ['a', 'b'] },
  kind: 'dataAction' as const, operation: SEND, scope: `${WPS}/hubs/h1`, message: 'no permission',
};

test('a 403 record keeps the trace, the nearest missing assignment and only safe parts of the request', async () => {
  const access = await accessControl();
  access.denials.portalUrl = 'https://localhost:8443/portal/';
  const receipt = access.denials.record(denied403);
  assert.match(receipt.id, /^[0-9a-f-]{36}$/);
  assert.equal(receipt.sentence, `See https://localhost:8443/portal/#/denied/${receipt.id} for why (denial id ${receipt.id}).`);
  const rec = access.denials.get(receipt.id.toUpperCase())!;
  assert.equal(rec.principalId, CALLER, 'object ids are lower-cased');
  assert.equal(rec.method, 'POST');
  assert.equal(rec.path, '/api/hubs/h1/:send?api-version=2024-01-01&access_token=***');
  assert.ok(!JSON.stringify(rec).includes('SECRET-TOKEN'));
  assert.deepEqual(rec.claims, { aud: 'https://webpubsub.azure.com', oid: CALLER, tid: 't', appid: 'app', exp: 1, roles: ['a', 'b'] });
  assert.equal(rec.claimsVerified, true);
  assert.equal(rec.decision?.allowed, false);
  assert.equal(rec.decision?.operation, SEND);
  assert.equal(rec.decision?.scopesChecked[0], `${WPS}/hubs/h1`);
  assert.equal(rec.decision?.considered[0]?.roleName, 'Reader');
  assert.deepEqual(rec.missingAssignment, { roleDefinitionId: BUILT_IN_ROLES.find((r) => r.roleName === 'Web PubSub Service Owner')!.name, roleName: 'Web PubSub Service Owner', roleType: 'BuiltInRole', scope: WPS });
});

test('a 401 record keeps the failure and marks the claims unverified; no trace', async () => {
  const access = await accessControl();
  const { id, sentence } = access.denials.record({ status: 401, code: 'Unauthorized', surface: 'webpubsub', method: 'GET', url: '/api/health', claims: { aud: 'https://wrong', oid: OTHER }, principalId: OTHER, scope: WPS, failure: 'audience', message: 'wrong audience' });
  assert.match(sentence, /GET \/providers\/Microsoft\.Lapis\/denials\//, 'without a portal URL the sentence names the API');
  const rec = access.denials.get(id)!;
  assert.equal(rec.failure, 'audience');
  assert.equal(rec.claimsVerified, false);
  assert.equal(rec.decision, null);
  assert.equal(rec.missingAssignment, null);
});

test('a record is readable by the denied principal and by readers of role assignments at its scope, not by others', async () => {
  const access = await accessControl();
  const rec = access.denials.get(access.denials.record(denied403).id)!;
  assert.equal(access.denials.mayRead(rec, CALLER), true, 'the denied principal itself');
  assert.equal(access.denials.mayRead(rec, ADMIN), true, 'User Access Administrator above the scope');
  assert.equal(access.denials.mayRead(rec, OTHER), false);
  assert.deepEqual(access.denials.list(OTHER).map((r) => r.id), []);
  assert.deepEqual(access.denials.list(ADMIN, WPS).map((r) => r.id), [rec.id]);
  assert.deepEqual(access.denials.list(ADMIN, `/subscriptions/${SUB}/resourceGroups/rg-2`).map((r) => r.id), [], 'outside the scope');
});

test('the ring keeps the newest records only, and lists newest first', async () => {
  const access = await accessControl(3);
  const ids = Array.from({ length: 5 }, () => access.denials.record(denied403).id);
  assert.equal(access.denials.size, 3);
  assert.equal(access.denials.get(ids[0]!), undefined);
  assert.deepEqual(access.denials.list(ADMIN).map((r) => r.id), ids.slice(2).reverse());
  assert.deepEqual(access.denials.list(ADMIN, '/', { top: 1 }).map((r) => r.id), [ids[4]]);
});

test('long or odd input is bounded: strings cut, lists shortened, unknown claims and nested objects dropped', () => {
  const claims = redactClaims({ name: 'x'.repeat(1000), roles: Array.from({ length: 50 }, (_, i) => `r${i}`), cnf: { jwk: {} }, upn: { nested: true }, nonce: 'n' });
  assert.equal((claims.name as string).length, 257);
  assert.equal((claims.roles as string[]).length, 20);
  assert.deepEqual(Object.keys(claims).sort(), ['name', 'roles']);
  assert.equal(redactPath(`/a?${'k=v&'.repeat(50)}`).split('&').length, 20);
  assert.equal(redactPath('/client/?hub=h1&access_token=abc&code=1'), '/client/?hub=h1&access_token=***&code=***');
  assert.ok(redactPath(`/${'p'.repeat(2000)}`).length < 600);
});

test('nearest missing assignment: least privilege first; child scopes are assigned at their resource', () => {
  const roles = BUILT_IN_ROLES;
  assert.equal(nearestMissingAssignment(roles, 'dataAction', 'Microsoft.SignalRService/WebPubSub/group/read', WPS)?.roleName, 'Web PubSub Service Reader');
  assert.equal(nearestMissingAssignment(roles, 'action', 'Microsoft.Authorization/roleAssignments/write', WPS)?.roleName, 'Role Based Access Control Administrator');
  assert.equal(nearestMissingAssignment(roles, 'dataAction', 'Microsoft.Nothing/x/action', WPS), undefined);
  assert.equal(assignmentScopeFor(`${WPS}/hubs/h1`), WPS);
  assert.equal(assignmentScopeFor(`/subscriptions/${SUB}`), `/subscriptions/${SUB}`);
});
