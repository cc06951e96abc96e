// The activity log end to end: changes through ARM (a role assignment, a refused hub write) and
// Graph (an application) are recorded with their caller, and served in Azure Monitor's shape at
// /subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values, filtered,
// authorised by Microsoft.Insights/eventtypes/values/read (Reader at a resource group reads that
// group's log only), malformed filters refused with 400 BadRequest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { miToken } from '../access/arm-harness.ts';
import { Arm, NOBODY, READER, RG, world } from './support.ts';

const TENANT = 'ac7e1000-0000-4000-8000-000000000001';
const SUB = 'ac7e1000-0000-4000-8000-000000000002';
const READER_ROLE = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
let lapis: TestLapis;
let arm: Arm;

before(async () => {
  lapis = await startTestLapis({ config: world(TENANT, SUB, [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: RG }]) });
  arm = new Arm(lapis);
});
after(async () => { await lapis?.stop(); });

const since = new Date(Date.now() - 60_000).toISOString();
const logPath = (filter: string) => `/subscriptions/${SUB}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01&$filter=${encodeURIComponent(filter)}`;

test('a role assignment made through ARM is on record with its caller, operation, status and correlation id', async () => {
  const nobody = lapis.node.identity.directory.servicePrincipal(NOBODY.appId)!.id;
  const scope = `/subscriptions/${SUB}/resourceGroups/${RG}`;
  const name = 'ac7e1000-0000-4000-8000-0000000000a1';
  const put = await arm.admin('PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`, {
    properties: { roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${READER_ROLE}`, principalId: nobody },
  });
  assert.equal(put.status, 201);
  const correlationId = put.headers.get('x-ms-correlation-request-id')!;

  const res = await arm.admin('GET', logPath(`eventTimestamp ge '${since}' and correlationId eq '${correlationId}'`));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const events = (res.body as any).value;
  assert.equal(events.length, 1);
  const e = events[0];
  assert.equal(e.operationName.value, 'Microsoft.Authorization/roleAssignments/write');
  assert.equal(e.operationName.localizedValue, 'Create role assignment');
  assert.equal(e.resourceId, `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`);
  assert.equal(e.resourceGroupName, RG);
  assert.equal(e.subscriptionId, SUB);
  assert.equal(e.tenantId, TENANT);
  assert.deepEqual(e.status, { value: 'Succeeded', localizedValue: 'Succeeded' });
  assert.equal(e.subStatus.value, 'Created');
  assert.equal(e.correlationId, correlationId);
  assert.equal(e.caller, lapis.ready.managedIdentity.systemAssigned!.clientId, 'an application is named by its appId');
  assert.equal(e.claims['http://schemas.microsoft.com/identity/claims/objectidentifier'], lapis.ready.managedIdentity.systemAssigned!.objectId);
  assert.equal(e.httpRequest.method, 'PUT');
  assert.equal(e.httpRequest.clientIpAddress, '127.0.0.1');
  assert.equal(e.category.value, 'Administrative');
  assert.equal(e.level, 'Informational');
  assert.ok(Date.parse(e.eventTimestamp) >= Date.parse(since));
});

test('a refused change is on record as Failed with its HTTP status; filters by caller and status', async () => {
  const refused = await arm.as(NOBODY, 'PUT', arm.path('chat', '/hubs/h1'), { properties: {} });
  assert.equal(refused.status, 403);
  const res = await arm.admin('GET', logPath(`eventTimestamp ge '${since}' and caller eq '${NOBODY.appId}' and status eq 'Failed'`));
  assert.equal(res.status, 200);
  const e = (res.body as any).value.find((x: any) => x.operationName.value === 'Microsoft.SignalRService/webPubSub/hubs/write');
  assert.ok(e, JSON.stringify(res.body));
  assert.equal(e.status.value, 'Failed');
  assert.equal(e.subStatus.value, 'Forbidden');
  assert.equal(e.level, 'Error');
  assert.equal(e.resourceId, arm.id('chat') + '/hubs/h1');
  assert.match(e.properties.statusMessage, /AuthorizationFailed/);
});

test('a Graph change is on record; the log is newest first and reads are not recorded', async () => {
  const token = await miToken(lapis, 'https://graph.microsoft.com');
  const created = await fetch(`${lapis.ready.managementEndpoint}/v1.0/applications`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ displayName: 'activity-app' }),
  });
  assert.equal(created.status, 201);
  const app = await created.json() as { id: string };
  const res = await arm.admin('GET', logPath(`eventTimestamp ge '${since}'`));
  const events = (res.body as any).value;
  const e = events.find((x: any) => x.operationName.value === 'microsoft.directory/applications/create');
  assert.ok(e);
  assert.equal(e.resourceId, `/tenants/${TENANT}/providers/microsoft.directory/applications/${app.id}`);
  assert.equal(e.properties.surface, 'Graph');
  const times = events.map((x: any) => x.eventTimestamp);
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  assert.ok(!events.some((x: any) => x.httpRequest.method === 'GET'));
});

test('authorisation: Reader at a resource group reads that group only; no role → 403; bad filter → 400 BadRequest', async () => {
  const sub = await arm.as(READER, 'GET', logPath(`eventTimestamp ge '${since}'`));
  assert.equal(sub.status, 403);
  assert.equal((sub.body as any).error.code, 'AuthorizationFailed');
  assert.match((sub.body as any).error.message, /Microsoft\.Insights\/eventtypes\/values\/read/);
  const group = await arm.as(READER, 'GET', logPath(`eventTimestamp ge '${since}' and resourceGroupName eq '${RG}'`));
  assert.equal(group.status, 200);
  assert.ok((group.body as any).value.length >= 2);
  assert.ok((group.body as any).value.every((x: any) => x.resourceGroupName === RG));
  const other = await arm.as(READER, 'GET', logPath(`eventTimestamp ge '${since}' and resourceGroupName eq 'rg-other'`));
  assert.equal(other.status, 403, 'another resource group is not the reader\'s');

  for (const bad of ["resourceGroupName eq 'x'", "eventTimestamp ge 'never'", `eventTimestamp ge '${since}' or caller eq 'x'`]) {
    const r = await arm.admin('GET', logPath(bad));
    assert.equal(r.status, 400, bad);
    assert.equal((r.body as any).error.code, 'BadRequest', bad);
  }
  const noVersion = await arm.admin('GET', `/subscriptions/${SUB}/providers/Microsoft.Insights/eventtypes/management/values`);
  assert.equal((noVersion.body as any).error.code, 'MissingApiVersionParameter');
  const badSkip = await arm.admin('GET', `${logPath(`eventTimestamp ge '${since}'`)}&$skipToken=zz`);
  assert.equal(badSkip.status, 400);
});
