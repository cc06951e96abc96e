// The hot path: cached per (principal, scope), never touching the store, and invalidated exactly
// on change so the very next check sees it. Plus persistence through the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryStore } from '../../src/store/index.ts';
import { HUB, MG_CHILD, P, RG, ROLE, SUB, WPS, WPS_ACT, makeAccess } from './support.ts';

const send = WPS_ACT('hub/send/action');
const groupSend = WPS_ACT('group/send/action');

test('checks are served from memory: no store call, cache hits after the first', async () => {
  const { access, store } = await makeAccess();
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  const before = store.calls;
  const stats0 = access.cacheStats();
  for (let i = 0; i < 1000; i++) assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: send }));
  assert.ok(!access.check({ principalId: P.app2, scope: HUB, dataAction: send }));
  access.permissionsAt(P.app, HUB);
  access.decide({ principalId: P.app, scope: HUB, dataAction: send });
  assert.equal(store.calls, before, 'no store call on the check path');
  const stats = access.cacheStats();
  assert.equal(stats.misses - stats0.misses, 2, 'one miss per (principal, scope)');
  assert.ok(stats.hits - stats0.hits >= 999);
});

test('a new assignment takes effect on the very next check', async () => {
  const { access } = await makeAccess();
  assert.equal(access.check({ principalId: P.app, scope: HUB, dataAction: send }), false);
  await access.createRoleAssignment({ scope: MG_CHILD, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  assert.equal(access.check({ principalId: P.app, scope: HUB, dataAction: send }), true);
});

test('no stale grant after an assignment is deleted', async () => {
  const { access } = await makeAccess();
  const { assignment } = await access.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app2 });
  assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: send }));
  assert.ok(access.check({ principalId: P.app2, scope: HUB, dataAction: send }));
  await access.deleteRoleAssignment(assignment.name);
  assert.equal(access.check({ principalId: P.app, scope: HUB, dataAction: send }), false, 'revoked at once');
  assert.equal(access.check({ principalId: P.app, scope: WPS, dataAction: send }), false);
  assert.ok(access.check({ principalId: P.app2, scope: HUB, dataAction: send }), 'the other principal keeps its grant');
});

test('editing a custom role changes what its holders may do at once', async () => {
  const { access } = await makeAccess();
  const body = (dataActions: string[]) => ({ roleName: 'Editable', permissions: [{ dataActions }], assignableScopes: [`/subscriptions/${SUB}`] });
  const { definition } = await access.putRoleDefinition(undefined, body([groupSend]));
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: definition.name, principalId: P.app });
  assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: groupSend }));
  assert.ok(!access.check({ principalId: P.app, scope: HUB, dataAction: send }));
  await access.putRoleDefinition(definition.name, body([send]));
  assert.ok(!access.check({ principalId: P.app, scope: HUB, dataAction: groupSend }), 'the removed permission is gone');
  assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: send }), 'the added one works');
});

test('moving a subscription out of a management group drops inherited grants at once', async () => {
  const { access } = await makeAccess();
  await access.createRoleAssignment({ scope: MG_CHILD, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: send }));
  access.setScopeTree({ managementGroups: [{ id: 'mg-root' }, { id: 'mg-child', parent: 'mg-root' }], subscriptions: [SUB] });
  assert.equal(access.check({ principalId: P.app, scope: HUB, dataAction: send }), false);
  access.setScopeTree({ managementGroups: [{ id: 'mg-root' }, { id: 'mg-child', parent: 'mg-root', subscriptions: [SUB] }] });
  assert.equal(access.check({ principalId: P.app, scope: HUB, dataAction: send }), true);
});

test('concurrent duplicate creations: exactly one wins', async () => {
  const { access } = await makeAccess();
  const results = await Promise.allSettled(Array.from({ length: 5 }, () => access.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app })));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  assert.ok(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'RoleAssignmentExists'));
  assert.equal(access.roleAssignments().length, 1);
});

test('definitions and assignments survive a reload from the store; a failed write changes nothing', async () => {
  const store = openMemoryStore();
  const { access } = await makeAccess(store);
  const { definition } = await access.putRoleDefinition(undefined, { roleName: 'Kept', permissions: [{ dataActions: [groupSend] }], assignableScopes: [RG] });
  await access.createRoleAssignment({ scope: WPS, roleDefinitionId: definition.name, principalId: P.app });
  const owner = await access.ensureBootstrapAssignments([P.mi]);
  const again = await access.ensureBootstrapAssignments([P.mi]);
  assert.equal(owner[0]!.name, again[0]!.name, 'bootstrap is idempotent');
  assert.equal(access.roleAssignments().length, 2);

  const { access: reloaded } = await makeAccess(store);
  assert.equal(reloaded.findRoleDefinitionByName('kept')?.name, definition.name);
  assert.ok(reloaded.check({ principalId: P.app, scope: HUB, dataAction: groupSend }));
  assert.ok(reloaded.check({ principalId: P.mi, scope: HUB, action: 'Microsoft.Authorization/roleAssignments/write' }), 'bootstrap Owner at /');
  assert.equal((await reloaded.ensureBootstrapAssignments([P.mi]))[0]!.name, owner[0]!.name, 'same deterministic name after a restart');

  // A store that refuses writes: the error surfaces and memory stays as it was.
  const broken = new Proxy(store, {
    get(target, key) {
      if (key === 'put' || key === 'insertIfAbsent' || key === 'replaceIf' || key === 'transaction') return async () => { throw new Error('disk full'); };
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const { access: failing } = await makeAccess(broken);
  await assert.rejects(failing.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app2 }), /disk full/);
  assert.equal(failing.check({ principalId: P.app2, scope: HUB, dataAction: send }), false);
  assert.equal(failing.roleAssignments().length, 2);
});

test('the data-plane adapter answers { allowed } and denies a malformed scope instead of throwing', async () => {
  const { access } = await makeAccess();
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  const check = access.dataActionCheck;
  assert.deepEqual(check(P.app, send, HUB), { allowed: true });
  assert.deepEqual(check(P.app2, send, HUB), { allowed: false });
  assert.deepEqual(check(P.app, send, '/not/a/scope'), { allowed: false });
  assert.deepEqual(check(P.app, '*', HUB), { allowed: false });
});
