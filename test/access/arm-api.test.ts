// The ARM-shaped Microsoft.Authorization API through a full Lapis: management tokens from the
// host's managed identity and from ClientSecretCredential, 401/403/400/404/409 shapes as ARM
// answers them, role assignment and role definition lifecycles, the permissions API, and the
// Lapis explain extension. Authorisation uses the same engine as the data plane, so a change takes
// effect on the very next call.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ARM, API, appToken, authz, call, credential, miToken, startArm, type ArmHarness } from './arm-harness.ts';

const TENANT = '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01';
const SUB = '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c02';
const CHAT = { displayName: 'chat-server', appId: '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c03', secret: 'chat-server-secret-0123456789' };
const OPS = { displayName: 'ops-app', appId: '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c04', secret: 'ops-app-secret-0123456789abcd' };
const RG = `/subscriptions/${SUB}/resourceGroups/rg-1`;
const RG2 = `/subscriptions/${SUB}/resourceGroups/rg-2`;
const WPS = `${RG}/providers/Microsoft.SignalRService/webPubSub/chat`;
const MG = '/providers/Microsoft.Management/managementGroups/mg-top';
const ROLE = { owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', uaa: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', wpsOwner: '12cf5a90-567b-43ae-8102-96cf46c7d9b4', wpsReader: 'bfb1c7d2-fb1a-466b-b2ba-aee63b92deaf' };
const roleDefId = (guid: string) => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

let h: ArmHarness;
let host: string;            // host managed identity (bootstrap Owner at /)
let ops: string;             // ops-app: no role at first
let chatId: string;
let opsId: string;

before(async () => {
  h = await startArm({
    tenantId: TENANT, subscriptionId: SUB,
    applications: [
      { displayName: CHAT.displayName, appId: CHAT.appId, passwordCredentials: [{ secretText: CHAT.secret }] },
      { displayName: OPS.displayName, appId: OPS.appId, passwordCredentials: [{ secretText: OPS.secret }] },
    ],
  }, { managementGroups: [{ id: 'mg-top', subscriptions: [SUB] }] });
  host = await miToken(h.lapis);
  ops = await appToken(credential(h.lapis, OPS.appId, OPS.secret));
  const dir = h.lapis.node.identity.directory;
  chatId = dir.servicePrincipal(CHAT.appId)!.id;
  opsId = dir.servicePrincipal(OPS.appId)!.id;
});

after(async () => {
  await h?.stop();
});

function armError(res: { status: number; body: any }, status: number, code: string, message?: RegExp): void {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  assert.deepEqual(Object.keys(res.body), ['error']);
  assert.equal(res.body.error.code, code);
  assert.equal(typeof res.body.error.message, 'string');
  if (message) assert.match(res.body.error.message, message);
}

test('no token, a malformed header, a bad token or a foreign audience → 401 with a Bearer challenge', async () => {
  const path = authz(`/subscriptions/${SUB}`, 'roleAssignments');
  const cases: [Record<string, string>, string][] = [
    [{}, 'AuthenticationFailed'],
    [{ authorization: 'Basic dXNlcjpwYXNz' }, 'AuthenticationFailedInvalidHeader'],
    [{ authorization: 'Bearer not.a.jwt' }, 'InvalidAuthenticationToken'],
    [{ authorization: `Bearer ${await miToken(h.lapis, 'https://webpubsub.azure.com')}` }, 'InvalidAuthenticationTokenAudience'],
  ];
  for (const [headers, code] of cases) {
    const res = await call(h.url, 'GET', path, undefined, undefined, headers);
    armError(res, 401, code);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer authorization_uri="https:\/\/localhost:\d+\/[0-9a-f-]{36}", error="invalid_token", error_description="[^"]+"$/, challenge);
  }
  const res = await call(h.url, 'GET', path, undefined, undefined, { authorization: `Bearer ${await miToken(h.lapis, 'https://webpubsub.azure.com')}` });
  assert.match(res.body.error.message, /wrong audience or resource 'https:\/\/webpubsub\.azure\.com'/);
});

test('both ARM audiences are accepted, with or without the trailing slash', async () => {
  for (const resource of ['https://management.azure.com/', 'https://management.core.windows.net', 'https://management.core.windows.net/']) {
    const res = await call(h.url, 'GET', authz(`/subscriptions/${SUB}`, 'roleAssignments'), await miToken(h.lapis, resource));
    assert.equal(res.status, 200, `${resource}: ${JSON.stringify(res.body)}`);
  }
  const viaSdk = await appToken(h.adminCredential, 'https://management.core.windows.net//.default');
  assert.equal((await call(h.url, 'GET', authz('/', 'roleAssignments'), viaSdk)).status, 200);
});

test('api-version is required and must be known', async () => {
  armError(await call(h.url, 'GET', `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments`, host), 400, 'MissingApiVersionParameter', /api-version query parameter/);
  armError(await call(h.url, 'GET', `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments?api-version=2099-01-01`, host), 400, 'InvalidApiVersionParameter', /'2099-01-01' is invalid.*2022-04-01/);
});

test('the bootstrap administrators hold Owner at / and can manage assignments everywhere', async () => {
  for (const token of [host, await appToken(h.adminCredential)]) {
    const res = await call(h.url, 'GET', authz('/', 'roleAssignments', '&$filter=atScope()'), token);
    assert.equal(res.status, 200);
    const owners = res.body.value.filter((a: any) => a.properties.roleDefinitionId === `/providers/Microsoft.Authorization/roleDefinitions/${ROLE.owner}`);
    assert.deepEqual(owners.map((a: any) => a.properties.principalId).sort(), [h.hostPrincipalId, h.adminPrincipalId].sort());
    assert.ok(owners.every((a: any) => a.properties.scope === '/' && a.properties.principalType === 'ServicePrincipal'));
  }
});

test('role assignment lifecycle: PUT 201 with ARM\'s shape, GET, list, idempotent PUT, DELETE 200 then 204', async () => {
  const name = randomUUID();
  const body = { properties: { roleDefinitionId: roleDefId(ROLE.wpsOwner), principalId: chatId, principalType: 'ServicePrincipal', description: 'chat server sends' } };
  const put = await call(h.url, 'PUT', authz(RG, `roleAssignments/${name}`), host, body);
  assert.equal(put.status, 201, JSON.stringify(put.body));
  assert.deepEqual(Object.keys(put.body).sort(), ['id', 'name', 'properties', 'type']);
  assert.equal(put.body.id, `${RG}/providers/Microsoft.Authorization/roleAssignments/${name}`);
  assert.equal(put.body.type, 'Microsoft.Authorization/roleAssignments');
  assert.equal(put.body.name, name);
  const p = put.body.properties;
  assert.equal(p.roleDefinitionId, roleDefId(ROLE.wpsOwner));
  assert.equal(p.principalId, chatId);
  assert.equal(p.principalType, 'ServicePrincipal');
  assert.equal(p.scope, RG);
  assert.equal(p.description, 'chat server sends');
  assert.equal(p.createdBy, h.hostPrincipalId);
  assert.ok(!Number.isNaN(Date.parse(p.createdOn)));
  assert.equal(p.condition, null);

  assert.equal((await call(h.url, 'PUT', authz(RG, `roleAssignments/${name}`), host, body)).status, 200, 'the same PUT again');
  const got = await call(h.url, 'GET', authz(RG, `roleAssignments/${name}`), host);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, { ...put.body, properties: { ...put.body.properties } });

  const below = await call(h.url, 'GET', authz(`/subscriptions/${SUB}`, 'roleAssignments', `&$filter=${encodeURIComponent(`principalId eq '${chatId}'`)}`), host);
  assert.deepEqual(below.body.value.map((a: any) => a.name), [name], 'principalId filter: at, above and below');
  const atSub = await call(h.url, 'GET', authz(`/subscriptions/${SUB}`, 'roleAssignments', '&$filter=atScope()'), host);
  assert.ok(!atSub.body.value.some((a: any) => a.name === name), 'atScope(): not below');
  const atRes = await call(h.url, 'GET', authz(WPS, 'roleAssignments', '&$filter=atScope()'), host);
  assert.ok(atRes.body.value.some((a: any) => a.name === name), 'atScope() at a resource: the RG assignment is above');

  const del = await call(h.url, 'DELETE', authz(RG, `roleAssignments/${name}`), host);
  assert.equal(del.status, 200);
  assert.equal(del.body.name, name);
  assert.equal((await call(h.url, 'DELETE', authz(RG, `roleAssignments/${name}`), host)).status, 204);
  armError(await call(h.url, 'GET', authz(RG, `roleAssignments/${name}`), host), 404, 'RoleAssignmentNotFound');
});

test('bad role assignment requests get ARM\'s codes', async () => {
  const good = { roleDefinitionId: roleDefId(ROLE.wpsOwner), principalId: chatId };
  const put = (scope: string, name: string, props: Record<string, unknown>) => call(h.url, 'PUT', authz(scope, `roleAssignments/${name}`), host, { properties: props });
  armError(await put(RG, 'not-a-guid', good), 400, 'InvalidRoleAssignmentId', /must be a GUID/);
  armError(await put(RG, randomUUID(), { ...good, roleDefinitionId: roleDefId(randomUUID()) }), 400, 'RoleDefinitionDoesNotExist', /The specified role definition with ID '[0-9a-f-]{36}' does not exist\./);
  armError(await put(RG, randomUUID(), { ...good, principalId: randomUUID() }), 400, 'PrincipalNotFound', new RegExp(`does not exist in the directory ${TENANT}`));
  armError(await put(RG, randomUUID(), { ...good, principalType: 'User' }), 400, 'UnmatchedPrincipalType');
  armError(await put(RG, randomUUID(), { roleDefinitionId: 'x' }), 400, 'InvalidRequestContent');
  armError(await put(RG, randomUUID(), { ...good, condition: "@Resource[x] StringEquals 'y'", conditionVersion: '2.0' }), 400, 'RoleAssignmentConditionNotSupported');
  armError(await call(h.url, 'PUT', authz(`/subscriptions/not-a-sub`, `roleAssignments/${randomUUID()}`), host, { properties: good }), 400, 'InvalidSubscriptionId');
  armError(await call(h.url, 'PUT', `/subscriptions/${SUB}/resourceGroups/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?${API}`, host, { properties: good }), 400, 'InvalidScope');
  armError(await call(h.url, 'PUT', authz(`/subscriptions/${randomUUID()}`, `roleAssignments/${randomUUID()}`), host, { properties: good }), 404, 'SubscriptionNotFound');
  const first = await put(RG2, randomUUID(), good);
  assert.equal(first.status, 201);
  armError(await put(RG2, randomUUID(), good), 409, 'RoleAssignmentExists', new RegExp(`The ID of the existing role assignment is ${first.body.name.replace(/-/g, '')}\\.`));
  armError(await put(RG, first.body.name, good), 409, 'RoleAssignmentUpdateNotPermitted');
  assert.equal((await call(h.url, 'DELETE', authz(RG2, `roleAssignments/${first.body.name}`), host)).status, 200);
  const notJson = await fetch(`${h.url}${authz(RG, `roleAssignments/${randomUUID()}`)}`, { method: 'PUT', headers: { authorization: `Bearer ${host}`, 'content-type': 'application/json' }, body: '{not json' });
  assert.equal(notJson.status, 400);
  assert.equal(((await notJson.json()) as any).error.code, 'InvalidRequestContent');
});

test('an unprivileged caller gets 403 AuthorizationFailed; a grant works on the very next call, a removal too', async () => {
  const name = randomUUID();
  const body = { properties: { roleDefinitionId: roleDefId(ROLE.wpsReader), principalId: chatId } };
  const denied = await call(h.url, 'PUT', authz(RG, `roleAssignments/${name}`), ops, body);
  armError(denied, 403, 'AuthorizationFailed');
  // ARM's sentence, then where to read why (the denial record; docs/rbac.md "Why was this denied").
  const denialId = denied.headers.get('x-ms-lapis-denial-id');
  assert.match(denialId ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(denied.body.error.message,
    `The client '${opsId}' with object id '${opsId}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '${RG}' or the scope is invalid. If access was recently granted, please refresh your credentials. Denial id ${denialId}: GET /providers/Microsoft.Lapis/denials/${denialId} on the management endpoint explains it.`);
  armError(await call(h.url, 'GET', authz(RG, 'roleAssignments'), ops), 403, 'AuthorizationFailed', /roleAssignments\/read/);

  const grant = await call(h.url, 'PUT', authz(RG, `roleAssignments/${randomUUID()}`), host, { properties: { roleDefinitionId: roleDefId(ROLE.uaa), principalId: opsId } });
  assert.equal(grant.status, 201);
  const allowed = await call(h.url, 'PUT', authz(RG, `roleAssignments/${name}`), ops, body);
  assert.equal(allowed.status, 201, 'the same token, the very next call');
  armError(await call(h.url, 'PUT', authz(`/subscriptions/${SUB}`, `roleAssignments/${randomUUID()}`), ops, body), 403, 'AuthorizationFailed', new RegExp(`over scope '/subscriptions/${SUB}'`));
  assert.equal((await call(h.url, 'DELETE', authz(RG, `roleAssignments/${name}`), ops)).status, 200);

  assert.equal((await call(h.url, 'DELETE', authz(RG, `roleAssignments/${grant.body.name}`), host)).status, 200);
  armError(await call(h.url, 'PUT', authz(RG, `roleAssignments/${randomUUID()}`), ops, body), 403, 'AuthorizationFailed');
});

test('management-group scopes: an Owner at the group manages assignments in its subscriptions', async () => {
  const grant = await call(h.url, 'PUT', authz(MG, `roleAssignments/${randomUUID()}`), host, { properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${ROLE.owner}`, principalId: opsId } });
  assert.equal(grant.status, 201, JSON.stringify(grant.body));
  assert.equal(grant.body.properties.roleDefinitionId, `/providers/Microsoft.Authorization/roleDefinitions/${ROLE.owner}`, 'no subscription in the scope: root-form role id');
  const r = await call(h.url, 'PUT', authz(WPS, `roleAssignments/${randomUUID()}`), ops, { properties: { roleDefinitionId: roleDefId(ROLE.wpsOwner), principalId: chatId } });
  assert.equal(r.status, 201);
  armError(await call(h.url, 'PUT', authz('/', `roleAssignments/${randomUUID()}`), ops, { properties: { roleDefinitionId: roleDefId(ROLE.wpsOwner), principalId: chatId } }), 403, 'AuthorizationFailed', /over scope '\/'/);
  assert.equal((await call(h.url, 'DELETE', authz(WPS, `roleAssignments/${r.body.name}`), ops)).status, 200);
  assert.equal((await call(h.url, 'DELETE', authz(MG, `roleAssignments/${grant.body.name}`), host)).status, 200);
  armError(await call(h.url, 'PUT', authz('/providers/Microsoft.Management/managementGroups/nope', `roleAssignments/${randomUUID()}`), host, { properties: { roleDefinitionId: roleDefId(ROLE.wpsOwner), principalId: chatId } }), 404, 'ManagementGroupNotFound');
});

test('role definitions: built-ins by id and name, custom role lifecycle, validation over the wire', async () => {
  const builtin = await call(h.url, 'GET', authz(`/subscriptions/${SUB}`, `roleDefinitions/${ROLE.wpsOwner}`), host);
  assert.equal(builtin.status, 200);
  assert.deepEqual(builtin.body, {
    id: roleDefId(ROLE.wpsOwner), name: ROLE.wpsOwner, type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: 'Web PubSub Service Owner', type: 'BuiltInRole', description: 'Full access to Azure Web PubSub Service REST APIs', assignableScopes: ['/'],
      permissions: [{ actions: [], notActions: [], dataActions: ['Microsoft.SignalRService/WebPubSub/*'], notDataActions: [] }],
      createdOn: null, updatedOn: null, createdBy: null, updatedBy: null,
    },
  });
  const byName = await call(h.url, 'GET', authz(`/subscriptions/${SUB}`, 'roleDefinitions', `&$filter=${encodeURIComponent("roleName eq 'Web PubSub Service Reader'")}`), host);
  assert.deepEqual(byName.body.value.map((d: any) => d.name), [ROLE.wpsReader]);
  const atRoot = await call(h.url, 'GET', authz('/', `roleDefinitions/${ROLE.owner}`), host);
  assert.equal(atRoot.body.id, `/providers/Microsoft.Authorization/roleDefinitions/${ROLE.owner}`);

  const id = randomUUID();
  const role = { properties: { roleName: 'WPS Group Sender', description: 'send to groups', type: 'CustomRole', assignableScopes: [`/subscriptions/${SUB}`], permissions: [{ actions: [], notActions: [], dataActions: ['Microsoft.SignalRService/WebPubSub/group/send/action'], notDataActions: [] }] } };
  armError(await call(h.url, 'PUT', authz(`/subscriptions/${SUB}`, `roleDefinitions/${id}`), ops, role), 403, 'AuthorizationFailed', /roleDefinitions\/write/);
  const created = await call(h.url, 'PUT', authz(`/subscriptions/${SUB}`, `roleDefinitions/${id}`), host, role);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.id, roleDefId(id));
  assert.equal(created.body.properties.type, 'CustomRole');
  assert.equal(created.body.properties.createdBy, h.hostPrincipalId);
  const custom = await call(h.url, 'GET', authz(RG, 'roleDefinitions', `&$filter=${encodeURIComponent("type eq 'CustomRole'")}`), host);
  assert.deepEqual(custom.body.value.map((d: any) => d.name), [id], 'assignable at the subscription: visible at its resource groups');

  const put = (body: unknown) => call(h.url, 'PUT', authz(`/subscriptions/${SUB}`, `roleDefinitions/${randomUUID()}`), host, body);
  const variant = (props: Record<string, unknown>) => ({ properties: { ...role.properties, roleName: `v-${randomUUID()}`, ...props } });
  armError(await put(variant({ roleName: 'wps group sender' })), 409, 'RoleDefinitionWithSameNameExists');
  armError(await put(variant({ assignableScopes: ['/'] })), 400, 'InvalidAssignableScopes');
  armError(await put(variant({ assignableScopes: [] })), 400, 'InvalidAssignableScopes');
  armError(await put(variant({ assignableScopes: [MG] })), 400, 'InvalidAssignableScopes', /DataActions/);
  armError(await put(variant({ permissions: [{ dataActions: ['*'] }] })), 400, 'InvalidDataActionOrNotDataAction');
  armError(await put(variant({ permissions: [{ actions: ['NoProvider/x/read'] }] })), 400, 'InvalidActionOrNotAction', /does not match any of the actions supported by the providers/);
  armError(await call(h.url, 'PUT', authz(`/subscriptions/${SUB}`, `roleDefinitions/${ROLE.owner}`), host, variant({})), 400, 'BuiltInRoleCannotBeModified');
  armError(await call(h.url, 'GET', authz(`/subscriptions/${SUB}`, `roleDefinitions/${randomUUID()}`), host), 404, 'RoleDefinitionDoesNotExist');
  armError(await call(h.url, 'GET', authz(`/subscriptions/${SUB}`, 'roleDefinitions/nope'), host), 400, 'InvalidRoleDefinitionId');

  // In use → 409; outside its assignable scopes → refused; after the assignment goes, delete works.
  const a = await call(h.url, 'PUT', authz(WPS, `roleAssignments/${randomUUID()}`), host, { properties: { roleDefinitionId: roleDefId(id), principalId: chatId } });
  assert.equal(a.status, 201);
  armError(await call(h.url, 'PUT', authz('/', `roleAssignments/${randomUUID()}`), host, { properties: { roleDefinitionId: roleDefId(id), principalId: chatId } }), 400, 'RoleDefinitionDoesNotExist', /not assignable at scope '\/'/);
  armError(await call(h.url, 'DELETE', authz(`/subscriptions/${SUB}`, `roleDefinitions/${id}`), host), 409, 'RoleDefinitionHasAssignments');
  assert.equal((await call(h.url, 'DELETE', authz(WPS, `roleAssignments/${a.body.name}`), host)).status, 200);
  const gone = await call(h.url, 'DELETE', authz(`/subscriptions/${SUB}`, `roleDefinitions/${id}`), host);
  assert.equal(gone.status, 200);
  assert.equal(gone.body.properties.roleName, 'WPS Group Sender');
  assert.equal((await call(h.url, 'DELETE', authz(`/subscriptions/${SUB}`, `roleDefinitions/${id}`), host)).status, 204);
});

test('the PowerShell shape of a custom role is accepted too', async () => {
  const id = randomUUID();
  const res = await call(h.url, 'PUT', authz(RG, `roleDefinitions/${id}`), host, {
    Name: 'PS Reader', IsCustom: true, Description: 'from PowerShell', Actions: [], NotActions: [],
    DataActions: ['Microsoft.SignalRService/WebPubSub/*/read'], NotDataActions: [], AssignableScopes: [RG],
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.deepEqual(res.body.properties.permissions[0].dataActions, ['Microsoft.SignalRService/WebPubSub/*/read']);
  assert.equal((await call(h.url, 'DELETE', authz(RG, `roleDefinitions/${id}`), host)).status, 200);
});

test('the permissions API returns the caller\'s effective permissions at a scope', async () => {
  const grant = await call(h.url, 'PUT', authz(RG, `roleAssignments/${randomUUID()}`), host, { properties: { roleDefinitionId: roleDefId(ROLE.wpsReader), principalId: opsId } });
  const res = await call(h.url, 'GET', authz(WPS, 'permissions'), ops);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { value: [{ actions: [], notActions: [], dataActions: ['Microsoft.SignalRService/WebPubSub/*/read'], notDataActions: [] }] });
  assert.deepEqual((await call(h.url, 'GET', authz(RG2, 'permissions'), ops)).body, { value: [] });
  const mine = await call(h.url, 'GET', authz(RG2, 'permissions'), host);
  assert.deepEqual(mine.body.value, [{ actions: ['*'], notActions: [], dataActions: [], notDataActions: [] }]);
  await call(h.url, 'DELETE', authz(RG, `roleAssignments/${grant.body.name}`), host);
});

test('explainAccess names the deciding assignment, role and pattern, and every assignment considered', async () => {
  const a = await call(h.url, 'PUT', authz(RG, `roleAssignments/${randomUUID()}`), host, { properties: { roleDefinitionId: roleDefId(ROLE.wpsOwner), principalId: chatId } });
  const hubScope = `${WPS}/hubs/chat`;
  const explain = (token: string, body: unknown) => call(h.url, 'POST', `/providers/Microsoft.Lapis/explainAccess?${API}`, token, body);
  const allowed = await explain(host, { principalId: chatId, dataAction: 'Microsoft.SignalRService/WebPubSub/hub/send/action', scope: hubScope });
  assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
  assert.equal(allowed.body.allowed, true);
  assert.equal(allowed.body.decidingAssignment.id, a.body.id);
  assert.equal(allowed.body.decidingAssignment.via, 'resourceGroup');
  assert.deepEqual(allowed.body.decidingRole, { id: ROLE.wpsOwner, roleName: 'Web PubSub Service Owner' });
  assert.equal(allowed.body.matchedPattern, 'Microsoft.SignalRService/WebPubSub/*');
  assert.deepEqual(allowed.body.scopesChecked, [hubScope, WPS, RG, `/subscriptions/${SUB}`, MG, '/']);

  // The data action asked as a control-plane action: DataActions never grant Actions.
  const denied = await explain(host, { principalId: chatId, action: 'Microsoft.SignalRService/WebPubSub/hub/send/action', scope: WPS });
  assert.equal(denied.body.allowed, false);
  assert.equal(denied.body.decidingAssignment, null);
  assert.equal(denied.body.considered[0].outcome, 'wrongPlane');
  const other = await explain(host, { principalId: chatId, action: 'Microsoft.Authorization/roleAssignments/write', scope: WPS });
  assert.equal(other.body.considered[0].outcome, 'noMatchingPattern');
  assert.equal(other.body.considered[0].id, a.body.id);
  assert.match(denied.body.reason, /^Denied/);

  // A caller may explain its own access; someone else's needs roleAssignments/read.
  armError(await explain(ops, { principalId: chatId, dataAction: 'Microsoft.SignalRService/WebPubSub/hub/send/action', scope: WPS }), 403, 'AuthorizationFailed');
  const self = await explain(ops, { dataAction: 'Microsoft.SignalRService/WebPubSub/hub/send/action', scope: WPS });
  assert.equal(self.status, 200);
  assert.equal(self.body.principalId, opsId);
  armError(await explain(host, { principalId: chatId, scope: WPS }), 400, 'InvalidRequestContent');
  armError(await explain(host, { principalId: chatId, dataAction: '*', scope: WPS }), 400, 'InvalidOperation');
  armError(await explain(host, { principalId: chatId, dataAction: 'Microsoft.SignalRService/WebPubSub/hub/send/action', scope: '/nope' }), 400, 'MissingSubscription');
  await call(h.url, 'DELETE', authz(RG, `roleAssignments/${a.body.name}`), host);
});

test('unknown Microsoft.Authorization types and methods are refused', async () => {
  armError(await call(h.url, 'GET', authz(RG, 'denyAssignments'), host), 404, 'InvalidResourceType');
  armError(await call(h.url, 'POST', authz(RG, 'roleAssignments'), host, {}), 405, 'MethodNotAllowed');
  armError(await call(h.url, 'GET', `/subscriptions/${SUB}/resourceGroups/rg-1?${API}`, host), 404, 'NotFound');
  armError(await call(h.url, 'GET', authz(RG, 'roleAssignments', `&$filter=${encodeURIComponent("roleName eq 'x'")}`), host), 400, 'InvalidFilter');
  void ARM;
});
