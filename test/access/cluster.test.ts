// Two AccessControl instances over ONE store stand in for two nodes sharing PostgreSQL (the
// SQLite store's change feed is in-process): a write through A is what B decides with, right
// after the write resolves; uniqueness holds when both write at once; side effects fire once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStore, openEmbeddedStore, openMemoryStore, type LocalChangeFeed } from '../../src/store/index.ts';
import { createThrowawayDatabase, postgresUnavailable } from '../helpers/services.ts';
import { AccessError } from '../../src/access/index.ts';
import { HUB, P, RG, ROLE, SUB, WPS_ACT, errorCode, makeAccess } from './support.ts';

const send = WPS_ACT('hub/send/action');
const groupSend = WPS_ACT('group/send/action');
const pgSkip = await postgresUnavailable();

async function twoNodes() {
  const store = openMemoryStore();
  const a = await makeAccess(store);
  const b = await makeAccess(store);
  return { store, A: a.access, B: b.access, close: async () => { a.access.close(); b.access.close(); await store.close(); } };
}

test('an assignment created through A is allowed by B, and denied by B once A deletes it', async () => {
  const { A, B, close } = await twoNodes();
  assert.equal(B.check({ principalId: P.app, scope: HUB, dataAction: send }), false);
  assert.equal(B.check({ principalId: P.app, scope: HUB, dataAction: send }), false, 'cached denial');
  const { assignment } = await A.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  assert.equal(B.check({ principalId: P.app, scope: HUB, dataAction: send }), true, 'B allows right after the create resolves');
  assert.equal(B.getRoleAssignment(assignment.name)?.principalId, P.app);
  await A.deleteRoleAssignment(assignment.name);
  assert.equal(B.check({ principalId: P.app, scope: HUB, dataAction: send }), false, 'B denies right after the delete resolves');
  assert.equal(B.roleAssignments().some((x) => x.name === assignment.name), false);
  await close();
});

test('a custom role edited through A changes what B allows; deleted through B, it is gone on A', async () => {
  const { A, B, close } = await twoNodes();
  const body = (dataActions: string[]) => ({ roleName: 'Shared role', permissions: [{ dataActions }], assignableScopes: [`/subscriptions/${SUB}`] });
  const { definition } = await A.putRoleDefinition(undefined, body([groupSend]));
  assert.equal(B.findRoleDefinitionByName('shared role')?.name, definition.name);
  const { assignment } = await B.createRoleAssignment({ scope: RG, roleDefinitionId: definition.name, principalId: P.user });
  assert.ok(A.check({ principalId: P.user, scope: HUB, dataAction: groupSend }));
  assert.ok(!B.check({ principalId: P.user, scope: HUB, dataAction: send }));
  await A.putRoleDefinition(definition.name, body([send]));
  assert.ok(B.check({ principalId: P.user, scope: HUB, dataAction: send }), 'the added permission works on B');
  assert.ok(!B.check({ principalId: P.user, scope: HUB, dataAction: groupSend }), 'the removed one is gone on B');
  await B.deleteRoleAssignment(assignment.name);
  await B.deleteRoleDefinition(definition.name);
  assert.equal(A.getRoleDefinition(definition.name), undefined);
  assert.equal(A.findRoleDefinitionByName('Shared role'), undefined);
  await close();
});

test('onChange fires once per change on the writer and once on the other node', async () => {
  const { A, B, close } = await twoNodes();
  let onA = 0;
  let onB = 0;
  A.onChange(() => onA++);
  B.onChange(() => onB++);
  const { assignment } = await A.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.reader, principalId: P.app });
  await A.settled();
  await B.settled();
  await new Promise((r) => setImmediate(r));
  assert.equal(onA, 1, 'the writer: once, not again when its own change comes back on the feed');
  assert.equal(onB, 1, 'the other node: once');
  await A.createRoleAssignment({ name: assignment.name, scope: RG, roleDefinitionId: ROLE.reader, principalId: P.app });
  await A.settled();
  await new Promise((r) => setImmediate(r));
  assert.equal(onA + onB, 2, 'an idempotent repeat writes nothing and fires nothing');
  await A.deleteRoleAssignment(assignment.name);
  await A.settled();
  await B.settled();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([onA, onB], [2, 2]);
  await close();
});

test('the same (principal, role, scope) created at once through A and B under different names: exactly one wins', async () => {
  const { A, B, close } = await twoNodes();
  const req = { scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app2 };
  const results = await Promise.allSettled([A.createRoleAssignment(req), B.createRoleAssignment(req)]);
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(won.length, 1);
  assert.equal(lost.length, 1);
  assert.ok(lost[0]!.reason instanceof AccessError);
  assert.equal(lost[0]!.reason.code, 'RoleAssignmentExists');
  assert.equal(lost[0]!.reason.status, 409);
  await A.settled();
  await B.settled();
  assert.equal(A.listRoleAssignments({ scope: RG, principalId: P.app2 }).length, 1);
  assert.equal(B.listRoleAssignments({ scope: RG, principalId: P.app2 }).length, 1);
  await close();
});

test('one name created at once through A and B: one creates, the other gets the idempotent answer', async () => {
  const { A, B, close } = await twoNodes();
  const req = { name: '0f0f0f0f-1111-4222-8333-444444444444', scope: RG, roleDefinitionId: ROLE.reader, principalId: P.user };
  const [ra, rb] = await Promise.all([A.createRoleAssignment(req), B.createRoleAssignment(req)]);
  assert.deepEqual([ra.created, rb.created].sort(), [false, true]);
  assert.equal(ra.assignment.name, rb.assignment.name);
  // The same name for something else is refused as ARM does.
  assert.equal(await errorCode(() => B.createRoleAssignment({ ...req, roleDefinitionId: ROLE.contributor })), 'RoleAssignmentUpdateNotPermitted');
  await close();
});

test('two custom roles with one display name created at once: exactly one wins', async () => {
  const { A, B, close } = await twoNodes();
  const body = { roleName: 'Twin', permissions: [{ actions: ['Microsoft.SignalRService/WebPubSub/read'] }], assignableScopes: [RG] };
  const results = await Promise.allSettled([A.putRoleDefinition(undefined, body), B.putRoleDefinition(undefined, body)]);
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(lost.length, 1);
  assert.equal((lost[0]!.reason as AccessError).code, 'RoleDefinitionWithSameNameExists');
  await A.settled();
  await B.settled();
  assert.equal(A.roleDefinitions().filter((d) => d.roleName === 'Twin').length, 1);
  assert.equal(B.roleDefinitions().filter((d) => d.roleName === 'Twin').length, 1);
  await close();
});

test('a resync reloads what the feed missed (a write through another connection to the same file)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-access-resync-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const storeA = openEmbeddedStore(dir);
  const storeB = openEmbeddedStore(dir);   // separate feeds: B's node does not hear A's writes
  const { access: A } = await makeAccess(storeA);
  const { access: B } = await makeAccess(storeB);
  const { assignment } = await A.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.mi });
  assert.equal(B.check({ principalId: P.mi, scope: HUB, dataAction: send }), false, 'missed');
  (storeB.changes as LocalChangeFeed).emitResync();
  await B.settled();
  assert.equal(B.check({ principalId: P.mi, scope: HUB, dataAction: send }), true, 'reloaded');
  await A.deleteRoleAssignment(assignment.name);
  (storeB.changes as LocalChangeFeed).emitResync();
  await B.settled();
  assert.equal(B.check({ principalId: P.mi, scope: HUB, dataAction: send }), false, 'a record gone from the store is dropped');
  A.close();
  B.close();
  await storeA.close();
  await storeB.close();
});

test('close stops following: a closed instance no longer changes', async () => {
  const { A, B, close } = await twoNodes();
  B.close();
  await A.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  assert.equal(B.check({ principalId: P.app, scope: HUB, dataAction: send }), false);
  await close();
});

test('on PostgreSQL, two stores (two nodes): one triple created at once through both is created once; one role name once; a delete through A denies on B (dropped on its notification, without a read)', { skip: pgSkip, timeout: 60_000 }, async (t) => {
  const db = await createThrowawayDatabase();
  const one = await PostgresStore.open(db.url);
  const two = await PostgresStore.open(db.url);
  t.after(async () => { await one.close(); await two.close(); await db.drop(); });
  const { access: A } = await makeAccess(one);
  const { access: B } = await makeAccess(two);
  t.after(() => { A.close(); B.close(); });
  for (let round = 0; round < 5; round++) {
    const principalId = [P.app, P.app2, P.user, P.mi, P.app][round]!;
    const scope = round === 4 ? `/subscriptions/${SUB}` : RG;
    const req = { scope, roleDefinitionId: ROLE.wpsOwner, principalId };
    const results = await Promise.allSettled([A.createRoleAssignment(req), B.createRoleAssignment(req)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}: exactly one wins`);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    assert.equal((lost.reason as AccessError).code, 'RoleAssignmentExists');
  }
  const body = { roleName: 'Raced on PG', permissions: [{ dataActions: [send] }], assignableScopes: [RG] };
  const defs = await Promise.allSettled([A.putRoleDefinition(undefined, body), B.putRoleDefinition(undefined, body)]);
  assert.equal(defs.filter((r) => r.status === 'fulfilled').length, 1, 'one custom role of that name');
  // The deleting node answers once it has re-read the change; the other node drops it on the notification, without a read.
  const mine = A.listRoleAssignments({ scope: RG, principalId: P.app2 })[0]!;
  for (let i = 0; i < 100 && !B.check({ principalId: P.app2, scope: HUB, dataAction: send }); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(B.check({ principalId: P.app2, scope: HUB, dataAction: send }));
  await A.deleteRoleAssignment(mine.name);
  for (let i = 0; i < 100 && B.check({ principalId: P.app2, scope: HUB, dataAction: send }); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(B.check({ principalId: P.app2, scope: HUB, dataAction: send }), false);
});
