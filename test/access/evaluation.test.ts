// Evaluation as entra-compat §5.5: inheritance down the tree (MG → sub → RG → resource → hub),
// additivity across assignments, Not* subtracting within its own role only, and Actions never
// granting DataActions. Each case asserts both the fast check and the explainable decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HUB, MG_CHILD, MG_ROOT, P, RG, RG2, ROLE, SUB, SUB2, WPS, WPS2, WPS_ACT, makeAccess } from './support.ts';

const send = WPS_ACT('hub/send/action');
const groupSend = WPS_ACT('group/send/action');
const groupRead = WPS_ACT('group/read');

test('an assignment at each level of the tree is inherited by everything below it', async () => {
  const levels: [string, string][] = [
    ['/', 'root'], [MG_ROOT, 'managementGroup'], [MG_CHILD, 'managementGroup'], [`/subscriptions/${SUB}`, 'subscription'],
    [RG, 'resourceGroup'], [WPS, 'resource'], [HUB, 'self'],
  ];
  for (const [at, via] of levels) {
    const { access } = await makeAccess();
    await access.createRoleAssignment({ scope: at, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
    assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: send }), `assigned at ${at}: the hub inherits`);
    const d = access.decide({ principalId: P.app, scope: HUB, dataAction: send });
    assert.equal(d.allowed, true);
    assert.equal(d.decidingAssignment?.scope, at);
    assert.equal(d.decidingAssignment?.via, via);
    assert.equal(d.decidingRole?.roleName, 'Web PubSub Service Owner');
    assert.equal(d.matchedPattern, 'Microsoft.SignalRService/WebPubSub/*');
    assert.match(d.reason, /^Allowed: role 'Web PubSub Service Owner'/);
  }
});

test('inheritance goes down only: an assignment below or beside the target does not apply', async () => {
  const { access } = await makeAccess();
  await access.createRoleAssignment({ scope: HUB, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  await access.createRoleAssignment({ scope: WPS2, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  assert.equal(access.check({ principalId: P.app, scope: WPS, dataAction: send }), false, 'hub assignment does not grant the whole resource');
  assert.equal(access.check({ principalId: P.app, scope: `${WPS}/hubs/h2`, dataAction: send }), false, 'nor a sibling hub');
  assert.equal(access.check({ principalId: P.app, scope: RG, dataAction: send }), false);
  assert.equal(access.check({ principalId: P.app, scope: `/subscriptions/${SUB2}/resourceGroups/x`, dataAction: send }), false);
  const d = access.decide({ principalId: P.app, scope: WPS, dataAction: send });
  assert.equal(d.allowed, false);
  assert.equal(d.considered.length, 2);
  assert.ok(d.considered.every((c) => c.outcome === 'scopeNotApplicable' && !c.applies));
  assert.match(d.reason, /no role assignment at/);
});

test('management-group inheritance follows the declared nesting', async () => {
  const { access } = await makeAccess();
  await access.createRoleAssignment({ scope: MG_ROOT, roleDefinitionId: ROLE.wpsReader, principalId: P.user });
  // SUB sits in mg-child under mg-root; SUB2 is in no group.
  assert.ok(access.check({ principalId: P.user, scope: HUB, dataAction: groupRead }));
  assert.ok(!access.check({ principalId: P.user, scope: `/subscriptions/${SUB2}/resourceGroups/x/providers/Microsoft.SignalRService/webPubSub/y`, dataAction: groupRead }));
  const d = access.decide({ principalId: P.user, scope: WPS, dataAction: groupRead });
  assert.equal(d.decidingAssignment?.via, 'managementGroup');
  assert.deepEqual(d.scopesChecked, [WPS, RG, `/subscriptions/${SUB}`, MG_CHILD, MG_ROOT, '/']);
});

test('assignments add up: each role contributes what it allows', async () => {
  const { access } = await makeAccess();
  const only = async (role: object) => (await access.putRoleDefinition(undefined, role)).definition.name;
  const sender = await only({ roleName: 'Group Sender', permissions: [{ dataActions: [groupSend] }], assignableScopes: [`/subscriptions/${SUB}`] });
  await access.createRoleAssignment({ scope: WPS, roleDefinitionId: sender, principalId: P.app });
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsReader, principalId: P.app });
  assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: groupSend }), 'from the custom role');
  assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: groupRead }), 'from the reader role');
  assert.ok(!access.check({ principalId: P.app, scope: HUB, dataAction: send }), 'neither grants broadcast');
  const d = access.decide({ principalId: P.app, scope: HUB, dataAction: send });
  assert.equal(d.considered.filter((c) => c.applies).length, 2);
  assert.ok(d.considered.every((c) => c.outcome === 'noMatchingPattern'));
  assert.match(d.reason, /none of the 2 applicable/);
});

test('a custom role with only group/send may send to groups and nothing else', async () => {
  const { access } = await makeAccess();
  const { definition } = await access.putRoleDefinition(undefined, { roleName: 'WPS Group Sender', permissions: [{ dataActions: [groupSend] }], assignableScopes: [`/subscriptions/${SUB}`] });
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: definition.name, principalId: P.app });
  const all = ['hub/send/action', 'group/send/action', 'group/read', 'group/write', 'user/send/action', 'user/read', 'clientConnection/send/action',
    'clientConnection/read', 'clientConnection/write', 'clientConnection/generateToken/action'];
  for (const a of all) assert.equal(access.check({ principalId: P.app, scope: HUB, dataAction: WPS_ACT(a) }), a === 'group/send/action', a);
});

test('NotDataActions subtract within their role only; another role still grants', async () => {
  const { access } = await makeAccess();
  const { definition: noSend } = await access.putRoleDefinition(undefined, {
    roleName: 'WPS All But Broadcast', assignableScopes: [RG],
    permissions: [{ dataActions: ['Microsoft.SignalRService/WebPubSub/*'], notDataActions: [send] }],
  });
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: noSend.name, principalId: P.app });
  assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: groupSend }));
  assert.ok(!access.check({ principalId: P.app, scope: HUB, dataAction: send }), 'removed by its own NotDataActions');
  let d = access.decide({ principalId: P.app, scope: HUB, dataAction: send });
  assert.equal(d.considered[0]?.outcome, 'excludedByNot');
  assert.equal(d.considered[0]?.excludedBy, send);
  assert.equal(d.considered[0]?.matchedPattern, 'Microsoft.SignalRService/WebPubSub/*');

  // Not* is not a deny: a second role at another scope grants it.
  await access.createRoleAssignment({ scope: WPS, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: send }));
  d = access.decide({ principalId: P.app, scope: HUB, dataAction: send });
  assert.equal(d.decidingRole?.roleName, 'Web PubSub Service Owner');
  assert.equal(d.decidingAssignment?.scope, WPS, 'the nearest granting assignment decides');
});

test('NotActions subtract from Actions the same way (Contributor cannot write role assignments)', async () => {
  const { access } = await makeAccess();
  await access.createRoleAssignment({ scope: `/subscriptions/${SUB}`, roleDefinitionId: ROLE.contributor, principalId: P.user });
  assert.ok(access.check({ principalId: P.user, scope: RG, action: 'Microsoft.SignalRService/webPubSub/write' }));
  assert.ok(access.check({ principalId: P.user, scope: RG, action: 'Microsoft.Authorization/roleAssignments/read' }));
  assert.ok(!access.check({ principalId: P.user, scope: RG, action: 'Microsoft.Authorization/roleAssignments/write' }));
  const d = access.decide({ principalId: P.user, scope: RG, action: 'Microsoft.Authorization/roleAssignments/write' });
  assert.equal(d.considered[0]?.outcome, 'excludedByNot');
  assert.equal(d.considered[0]?.excludedBy, 'Microsoft.Authorization/*/Write', 'NotActions match case-insensitively');
});

test('Actions never grant DataActions: Owner and Contributor have no data access', async () => {
  const { access } = await makeAccess();
  await access.createRoleAssignment({ scope: '/', roleDefinitionId: ROLE.owner, principalId: P.app });
  assert.ok(access.check({ principalId: P.app, scope: HUB, action: 'Microsoft.Authorization/roleAssignments/write' }));
  assert.ok(!access.check({ principalId: P.app, scope: HUB, dataAction: send }), 'Owner has * in Actions only');
  const d = access.decide({ principalId: P.app, scope: HUB, dataAction: send });
  assert.equal(d.allowed, false);
  assert.equal(d.considered[0]?.outcome, 'wrongPlane');
  assert.match(d.considered[0]!.reason, /Actions never grant DataActions/);
});

test('DataActions never grant Actions either', async () => {
  const { access } = await makeAccess();
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  assert.ok(!access.check({ principalId: P.app, scope: WPS, action: 'Microsoft.SignalRService/WebPubSub/hub/send/action' }));
  assert.ok(!access.check({ principalId: P.app, scope: WPS, action: 'Microsoft.Authorization/roleAssignments/read' }));
});

test('Reader may only read; principals are kept apart; comparison ignores case', async () => {
  const { access } = await makeAccess();
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsReader, principalId: P.app });
  for (const a of ['group/read', 'user/read', 'clientConnection/read']) assert.ok(access.check({ principalId: P.app, scope: HUB, dataAction: WPS_ACT(a) }), a);
  for (const a of ['hub/send/action', 'group/write', 'clientConnection/generateToken/action']) assert.ok(!access.check({ principalId: P.app, scope: HUB, dataAction: WPS_ACT(a) }), a);
  assert.ok(!access.check({ principalId: P.app2, scope: HUB, dataAction: groupRead }), 'another principal gets nothing');
  assert.ok(access.check({ principalId: P.app.toUpperCase(), scope: HUB.toUpperCase().replace('/SUBSCRIPTIONS/' + SUB.toUpperCase(), `/subscriptions/${SUB}`), dataAction: groupRead.toLowerCase() }));
});

test('the explanation lists every assignment of the principal with its reason', async () => {
  const { access } = await makeAccess();
  await access.createRoleAssignment({ scope: RG2, roleDefinitionId: ROLE.wpsOwner, principalId: P.app });
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsReader, principalId: P.app });
  await access.createRoleAssignment({ scope: '/', roleDefinitionId: ROLE.owner, principalId: P.app });
  await access.createRoleAssignment({ scope: MG_CHILD, roleDefinitionId: ROLE.wpsOwner, principalId: P.app2 });
  const d = access.decide({ principalId: P.app, scope: HUB, dataAction: send });
  assert.equal(d.allowed, false);
  assert.deepEqual(d.considered.map((c) => [c.roleName, c.outcome]), [
    ['Web PubSub Service Reader', 'noMatchingPattern'],
    ['Owner', 'wrongPlane'],
    ['Web PubSub Service Owner', 'scopeNotApplicable'],
  ]);
  assert.ok(d.considered.every((c) => c.principalId === P.app), 'only this principal');
  assert.match(d.considered[0]!.id, /\/providers\/Microsoft\.Authorization\/roleAssignments\/[0-9a-f-]{36}$/);
  assert.equal(d.considered[1]!.via, 'root');
});

test('the permissions at a scope list the applicable roles\' permission blocks', async () => {
  const { access } = await makeAccess();
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: ROLE.wpsReader, principalId: P.app });
  await access.createRoleAssignment({ scope: RG2, roleDefinitionId: ROLE.owner, principalId: P.app });
  assert.deepEqual(access.permissionsAt(P.app, WPS), [{ actions: [], notActions: [], dataActions: ['Microsoft.SignalRService/WebPubSub/*/read'], notDataActions: [] }]);
  assert.deepEqual(access.permissionsAt(P.app2, WPS), []);
});
