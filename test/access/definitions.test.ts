// Built-in roles, custom role validation (as Azure validates), and role assignment validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILT_IN_ROLES, parseRoleDefinitionInput } from '../../src/access/index.ts';
import { HUB, MG_CHILD, MG_ROOT, P, RG, RG2, ROLE, SUB, SUB2, WPS, WPS_ACT, errorCode, makeAccess } from './support.ts';

test('built-in roles carry Azure\'s ids, names and permissions', async () => {
  const { access } = await makeAccess();
  const expect: [string, string][] = [
    ['Owner', '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'], ['Contributor', 'b24988ac-6180-42a0-ab88-20f7382dd24c'],
    ['Reader', 'acdd72a7-3385-48ef-bd42-f606fba81ae7'], ['User Access Administrator', '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9'],
    ['Web PubSub Service Owner', '12cf5a90-567b-43ae-8102-96cf46c7d9b4'], ['Web PubSub Service Reader', 'bfb1c7d2-fb1a-466b-b2ba-aee63b92deaf'],
    ['SignalR/Web PubSub Contributor', '8cf5e20a-e4b2-4e9d-b3a1-5ceb692c2761'], ['SignalR App Server', '420fcaa2-552c-430f-98ca-3264be4806c7'],
    ['SignalR REST API Owner', 'fd53cd77-2268-407a-8f46-7e7863d0f521'], ['SignalR REST API Reader', 'ddde6b66-c0df-4114-a159-3618637b3035'],
    ['SignalR Service Owner', '7e4f1700-ea5a-4f59-8f37-079cfe29dce3'], ['SignalR AccessKey Reader', '04165923-9d83-45d5-8227-78b77b0a687e'],
    ['Key Vault Administrator', '00482a5a-887f-4fb3-b363-3b7fe8e74483'], ['Key Vault Reader', '21090545-7ca7-4776-b22c-e363652d74d2'],
    ['Key Vault Secrets Officer', 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'], ['Key Vault Secrets User', '4633458b-17de-408a-b874-0445c86b69e6'],
  ];
  for (const [name, id] of expect) {
    const d = access.findRoleDefinitionByName(name.toUpperCase());
    assert.equal(d?.name, id, name);
    assert.equal(d?.roleType, 'BuiltInRole');
    assert.deepEqual(d?.assignableScopes, ['/']);
  }
  assert.equal(new Set(BUILT_IN_ROLES.map((r) => r.name)).size, BUILT_IN_ROLES.length, 'ids are unique');
  assert.equal(access.findRoleDefinitionByName('Web PubSub Service Owner (Preview)')?.name, ROLE.wpsOwner, 'the former name still resolves');
  assert.deepEqual(access.getRoleDefinition(ROLE.wpsOwner)?.permissions[0]?.dataActions, ['Microsoft.SignalRService/WebPubSub/*']);
  assert.deepEqual(access.getRoleDefinition(`/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${ROLE.wpsReader.toUpperCase()}`)?.permissions[0]?.dataActions, ['Microsoft.SignalRService/WebPubSub/*/read']);
  assert.deepEqual(access.findRoleDefinitionByName('Key Vault Secrets User')?.permissions[0]?.dataActions, [
    'Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  ]);
});

test('the three input shapes of a custom role read the same', () => {
  const perms = { actions: [], notActions: [], dataActions: [WPS_ACT('group/send/action')], notDataActions: [] };
  const rest = parseRoleDefinitionInput({ name: 'A1B2C3D4-0000-4000-8000-000000000001', properties: { roleName: 'S', description: 'd', type: 'CustomRole', permissions: [perms], assignableScopes: [RG] } });
  const flat = parseRoleDefinitionInput({ roleName: 'S', description: 'd', permissions: [{ dataActions: perms.dataActions }], assignableScopes: [RG] });
  const ps = parseRoleDefinitionInput({ Name: 'S', Id: null, IsCustom: true, Description: 'd', Actions: [], NotActions: [], DataActions: perms.dataActions, NotDataActions: [], AssignableScopes: [RG] });
  const cli = parseRoleDefinitionInput({ name: 'S', description: 'd', dataActions: perms.dataActions, assignableScopes: [RG] });
  assert.equal(rest.name, 'a1b2c3d4-0000-4000-8000-000000000001');
  for (const x of [rest, flat, ps, cli]) {
    assert.equal(x.roleName, 'S');
    assert.deepEqual(x.permissions, [perms]);
    assert.deepEqual(x.assignableScopes, [RG]);
  }
});

test('custom roles are validated as Azure validates them', async () => {
  const { access } = await makeAccess();
  const role = (over: Record<string, unknown>) => ({ roleName: 'R', permissions: [{ dataActions: [WPS_ACT('group/send/action')] }], assignableScopes: [RG], ...over });
  const put = (body: unknown) => errorCode(() => access.putRoleDefinition(undefined, body));
  assert.equal(await put(role({ assignableScopes: [] })), 'InvalidAssignableScopes', 'at least one assignable scope');
  assert.equal(await put(role({ assignableScopes: ['/'] })), 'InvalidAssignableScopes', 'only built-ins may use /');
  assert.equal(await put(role({ permissions: [{ actions: ['Microsoft.SignalRService/*/read'] }], assignableScopes: [MG_ROOT, MG_CHILD] })), 'InvalidAssignableScopes', 'at most one management group');
  assert.equal(await put(role({ assignableScopes: [MG_CHILD] })), 'InvalidAssignableScopes', 'DataActions are not assignable at a management group');
  assert.equal(await put(role({ assignableScopes: ['/subscriptions/nope'] })), 'InvalidAssignableScopes');
  assert.equal(await put(role({ assignableScopes: [`/subscriptions/${'9'.repeat(8)}-9999-4999-8999-999999999999`] })), 'SubscriptionNotFound');
  assert.equal(await put(role({ permissions: [{ dataActions: ['*'] }] })), 'InvalidDataActionOrNotDataAction', 'a bare * in DataActions');
  assert.equal(await put(role({ permissions: [{ dataActions: ['Contoso/x/read'] }] })), 'InvalidDataActionOrNotDataAction', 'an invalid provider');
  assert.equal(await put(role({ permissions: [{ actions: ['NotAProvider/*'] }] })), 'InvalidActionOrNotAction');
  assert.equal(await put(role({ permissions: [{ notDataActions: ['Microsoft.SignalRService/WebPubSub/nothing/action'] }] })), 'InvalidDataActionOrNotDataAction');
  assert.equal(await put(role({ roleName: '' })), 'InvalidRoleDefinition');
  assert.equal(await put(role({ roleName: 'x'.repeat(129) })), 'InvalidRoleDefinition');
  assert.equal(await put(role({ roleType: 'BuiltInRole' })), 'InvalidRoleDefinition');
  assert.equal(await put(role({ permissions: 'all' })), 'InvalidRequestContent');
  assert.equal(await put('nope'), 'InvalidRequestContent');
  assert.equal(await put(role({ roleName: 'Owner' })), 'RoleDefinitionWithSameNameExists', 'names are unique, built-ins included');
  assert.equal(await errorCode(() => access.putRoleDefinition(ROLE.owner, role({ roleName: 'Mine' }))), 'BuiltInRoleCannotBeModified');
  assert.equal(await errorCode(() => access.deleteRoleDefinition(ROLE.owner)), 'BuiltInRoleCannotBeModified');
  assert.equal(await errorCode(() => access.putRoleDefinition('not-a-guid', role({}))), 'InvalidRoleDefinitionId');

  const ok = await access.putRoleDefinition(undefined, role({ roleName: 'Sender', assignableScopes: [RG, `${RG}/`, RG2] }));
  assert.equal(ok.created, true);
  assert.deepEqual(ok.definition.assignableScopes, [RG, RG2], 'duplicates collapse; ids are canonical');
  assert.equal(await put(role({ roleName: 'SENDER' })), 'RoleDefinitionWithSameNameExists', 'case-insensitive names');
  const again = await access.putRoleDefinition(ok.definition.name, role({ roleName: 'Sender', description: 'now described' }));
  assert.equal(again.created, false);
  assert.equal(again.definition.description, 'now described');
  assert.equal(again.definition.createdOn, ok.definition.createdOn);
  // A control-plane-only role may name a management group.
  await access.putRoleDefinition(undefined, role({ roleName: 'MG reader', permissions: [{ actions: ['Microsoft.SignalRService/*/read'] }], assignableScopes: [MG_ROOT] }));
});

test('an assignment outside the role\'s assignable scopes is refused', async () => {
  const { access } = await makeAccess();
  const { definition } = await access.putRoleDefinition(undefined, { roleName: 'RG only', permissions: [{ dataActions: [WPS_ACT('*')] }], assignableScopes: [RG] });
  await access.createRoleAssignment({ scope: HUB, roleDefinitionId: definition.name, principalId: P.app });
  await access.createRoleAssignment({ scope: RG, roleDefinitionId: definition.name, principalId: P.app2 });
  for (const scope of [RG2, `/subscriptions/${SUB}`, '/', MG_ROOT]) {
    assert.equal(await errorCode(() => access.createRoleAssignment({ scope, roleDefinitionId: definition.name, principalId: P.user })), 'RoleDefinitionDoesNotExist', scope);
  }
  // Narrowing the assignable scopes below existing assignments is refused too.
  assert.equal(await errorCode(() => access.putRoleDefinition(definition.name, { roleName: 'RG only', permissions: [{ dataActions: [WPS_ACT('*')] }], assignableScopes: [RG2] })), 'InvalidAssignableScopes');
});

test('role assignments are validated with ARM\'s errors', async () => {
  const { access } = await makeAccess();
  const base = { scope: RG, roleDefinitionId: ROLE.wpsOwner, principalId: P.app };
  const create = (over: Record<string, unknown>) => errorCode(() => access.createRoleAssignment({ ...base, ...over } as never));
  assert.equal(await create({ name: 'not-a-guid' }), 'InvalidRoleAssignmentId');
  assert.equal(await create({ roleDefinitionId: 'not-a-guid' }), 'InvalidRoleDefinitionId');
  assert.equal(await create({ roleDefinitionId: '99999999-9999-4999-8999-999999999999' }), 'RoleDefinitionDoesNotExist');
  assert.equal(await create({ principalId: P.ghost }), 'PrincipalNotFound');
  assert.equal(await create({ principalId: 'someone' }), 'InvalidPrincipalId');
  assert.equal(await create({ principalType: 'User' }), 'UnmatchedPrincipalType');
  assert.equal(await create({ principalType: 'Robot' }), 'InvalidPrincipalType');
  assert.equal(await create({ scope: '/subscriptions/x' }), 'InvalidSubscriptionId');
  assert.equal(await create({ scope: `/subscriptions/${'9'.repeat(8)}-9999-4999-8999-999999999999` }), 'SubscriptionNotFound');
  assert.equal(await create({ scope: '/providers/Microsoft.Management/managementGroups/nope' }), 'ManagementGroupNotFound');
  assert.equal(await create({ condition: "@Resource[x] StringEquals 'y'", conditionVersion: '2.0' }), 'RoleAssignmentConditionNotSupported');

  const name = 'e1e2e3e4-0000-4000-8000-000000000001';
  const first = await access.createRoleAssignment({ ...base, name, principalType: 'serviceprincipal' });
  assert.equal(first.created, true);
  assert.equal(first.assignment.principalType, 'ServicePrincipal');
  const same = await access.createRoleAssignment({ ...base, name: name.toUpperCase(), scope: RG.toUpperCase().replace(`/SUBSCRIPTIONS/${SUB.toUpperCase()}`, `/subscriptions/${SUB}`) });
  assert.equal(same.created, false, 'the same PUT again is idempotent');
  assert.equal(await create({ name: 'e1e2e3e4-0000-4000-8000-000000000002' }), 'RoleAssignmentExists');
  try {
    await access.createRoleAssignment({ ...base, name: 'e1e2e3e4-0000-4000-8000-000000000002' });
  } catch (err) {
    assert.match((err as Error).message, /The ID of the existing role assignment is e1e2e3e4000040008000000000000001\./);
  }
  assert.equal(await create({ name, scope: RG2 }), 'RoleAssignmentUpdateNotPermitted');
  assert.equal(await create({ name, principalId: P.app2 }), 'RoleAssignmentUpdateNotPermitted');
  const user = await access.createRoleAssignment({ ...base, principalId: P.user });
  assert.equal(user.assignment.principalType, 'User', 'the principal type comes from the directory');
  assert.equal(await errorCode(() => access.deleteRoleAssignment('bad')), 'InvalidRoleAssignmentId');
  assert.equal(await access.deleteRoleAssignment('e1e2e3e4-0000-4000-8000-0000000000ff'), undefined);
  assert.equal(await access.deleteRoleAssignment(name, RG2), undefined, 'delete at another scope finds nothing');
});

test('a custom role in use cannot be deleted; unused it can', async () => {
  const { access } = await makeAccess();
  const { definition } = await access.putRoleDefinition(undefined, { roleName: 'Temp', permissions: [{ dataActions: [WPS_ACT('group/read')] }], assignableScopes: [`/subscriptions/${SUB}`, `/subscriptions/${SUB2}`] });
  const { assignment } = await access.createRoleAssignment({ scope: WPS, roleDefinitionId: definition.name, principalId: P.app });
  assert.equal(await errorCode(() => access.deleteRoleDefinition(definition.name)), 'RoleDefinitionHasAssignments');
  await access.deleteRoleAssignment(assignment.name);
  assert.equal((await access.deleteRoleDefinition(definition.name))?.roleName, 'Temp');
  assert.equal(access.getRoleDefinition(definition.name), undefined);
  assert.equal(await access.deleteRoleDefinition(definition.name), undefined);
});

test('listing at a scope returns assignments at, above and below it; atScope() only at and above', async () => {
  const { access } = await makeAccess();
  const at = async (scope: string, principalId: string = P.app) => (await access.createRoleAssignment({ scope, roleDefinitionId: ROLE.wpsReader, principalId })).assignment.name;
  const root = await at('/');
  const mg = await at(MG_CHILD);
  const rg = await at(RG);
  const hub = await at(HUB);
  const rg2 = await at(RG2);
  const other = await at(RG, P.user);
  const sort = (xs: string[]) => [...xs].sort();
  const names = (q: Parameters<typeof access.listRoleAssignments>[0]) => sort(access.listRoleAssignments(q).map((a) => a.name));
  assert.deepEqual(names({ scope: RG }), sort([root, mg, rg, hub, other]));
  assert.deepEqual(names({ scope: RG, atScope: true }), sort([root, mg, rg, other]));
  assert.deepEqual(names({ scope: RG, principalId: P.app }), sort([root, mg, rg, hub]));
  assert.deepEqual(names({ scope: '/' }), sort([root, mg, rg, hub, rg2, other]));
  assert.deepEqual(names({ scope: '/', atScope: true }), [root]);
  assert.deepEqual(names({ scope: MG_ROOT }), sort([root, mg, rg, hub, rg2, other]), 'below a group: its subscriptions and everything in them');
});
