// The activity log's pieces without a server: $filter parsing (what az and the SDKs send, and the
// refusals), operation names derived from ARM and Graph paths, and retention in a real store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityFilterError, ActivityLog, armChange, graphChange, parseActivityFilter, type ActivityRecord } from '../../src/control/activity/index.ts';
import { openEmbeddedStore } from '../../src/store/index.ts';

test('$filter: quoted (SDK) and bare (az) times, equality clauses, case-insensitive names', () => {
  const sdk = parseActivityFilter("eventTimestamp ge '2026-01-21T20:00:00Z' and eventTimestamp le '2026-01-23T20:00:00Z' and resourceGroupName eq 'MSSupportGroup'");
  assert.equal(sdk.from, Date.parse('2026-01-21T20:00:00Z'));
  assert.equal(sdk.to, Date.parse('2026-01-23T20:00:00Z'));
  assert.equal(sdk.resourceGroupName, 'MSSupportGroup');
  // az 2.x: datetime.isoformat() without a zone (UTC) and with microseconds.
  const az = parseActivityFilter("eventTimestamp ge 2026-12-07T02:00:00.123456 and eventTimestamp le 2026-12-07T08:00:00.654321 and caller eq 'a@b.test' and status eq 'Failed'");
  assert.equal(az.from, Date.parse('2026-12-07T02:00:00.123Z'));
  assert.equal(az.to, Date.parse('2026-12-07T08:00:00.654Z'));
  assert.equal(az.caller, 'a@b.test');
  assert.equal(az.status, 'Failed');
  const all = parseActivityFilter("EventTimestamp GE '2026-01-01' AND resourceUri eq '/subscriptions/s/x' and correlationId eq 'c''1' and resourceProvider eq 'Microsoft.Authorization' and eventChannels eq 'Admin, Operation' and levels eq 'Error' and operationName eq 'op'", Date.parse('2026-02-01T00:00:00Z'));
  assert.deepEqual(all, {
    from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2026-02-01T00:00:00Z'), resourceId: '/subscriptions/s/x', correlationId: "c'1",
    resourceProvider: 'Microsoft.Authorization', level: 'Error', operationName: 'op',
  });
});

test('$filter: malformed or unsupported filters are refused with a reason', () => {
  for (const bad of [
    undefined, '', "resourceGroupName eq 'rg'", 'eventTimestamp ge yesterday', "eventTimestamp eq '2026-01-01T00:00:00Z'",
    "eventTimestamp ge '2026-01-01T00:00:00Z' or caller eq 'x'", "eventTimestamp ge '2026-01-01T00:00:00Z' and caller eq x",
    "eventTimestamp ge '2026-01-01T00:00:00Z' and caller ne 'x'", "eventTimestamp ge '2026-01-01T00:00:00Z' and foo eq 'x'",
    "eventTimestamp ge '2026-01-01T00:00:00Z' and caller eq 'x", "eventTimestamp ge '2026-01-01T00:00:00Z' and",
    "eventTimestamp ge '2026-02-01T00:00:00Z' and eventTimestamp le '2026-01-01T00:00:00Z'", `eventTimestamp ge '2026-01-01' and caller eq '${'x'.repeat(5000)}'`,
  ]) {
    assert.throws(() => parseActivityFilter(bad), ActivityFilterError, String(bad).slice(0, 80));
  }
});

test('operation names and resource ids as Azure names them', () => {
  const sub = 's1';
  const rg = ['subscriptions', sub, 'resourceGroups', 'rg-1'];
  const wps = [...rg, 'providers', 'Microsoft.SignalRService', 'webPubSub', 'chat'];
  assert.deepEqual(armChange('PUT', wps), {
    operationName: 'Microsoft.SignalRService/webPubSub/write', resourceId: '/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.SignalRService/webPubSub/chat',
    resourceProvider: 'Microsoft.SignalRService', resourceType: 'Microsoft.SignalRService/webPubSub', subscriptionId: 's1', resourceGroup: 'rg-1',
  });
  assert.equal(armChange('DELETE', [...wps, 'hubs', 'h1'])?.operationName, 'Microsoft.SignalRService/webPubSub/hubs/delete');
  const keys = armChange('POST', [...wps, 'regenerateKey'])!;
  assert.equal(keys.operationName, 'Microsoft.SignalRService/webPubSub/regenerateKey/action');
  assert.equal(keys.resourceId, '/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.SignalRService/webPubSub/chat');
  const ra = armChange('PUT', [...wps, 'providers', 'Microsoft.Authorization', 'roleAssignments', 'a1'])!;
  assert.equal(ra.operationName, 'Microsoft.Authorization/roleAssignments/write');
  assert.equal(ra.resourceGroup, 'rg-1');
  assert.equal(armChange('PUT', ['providers', 'Microsoft.Management', 'managementGroups', 'mg', 'providers', 'Microsoft.Authorization', 'roleAssignments', 'a2'])?.subscriptionId, undefined);
  assert.equal(armChange('PUT', rg)?.operationName, 'Microsoft.Resources/subscriptions/resourceGroups/write');
  assert.equal(armChange('GET', wps), undefined, 'reads are not changes');
  assert.equal(armChange('POST', ['providers', 'Microsoft.Lapis', 'explainAccess']), undefined, 'a question is not a change');

  assert.equal(graphChange('POST', '/v1.0/applications', 't', 'new-id')?.resourceId, '/tenants/t/providers/microsoft.directory/applications/new-id');
  assert.equal(graphChange('POST', '/v1.0/applications', 't')?.operationName, 'microsoft.directory/applications/create');
  assert.equal(graphChange('PATCH', '/v1.0/users/u%40x', 't')?.resourceId, '/tenants/t/providers/microsoft.directory/users/u@x');
  assert.equal(graphChange('POST', '/v1.0/applications/a1/addPassword', 't')?.operationName, 'microsoft.directory/applications/addPassword/action');
  assert.equal(graphChange('DELETE', "/v1.0/applications(appId='x')", 't')?.operationName, 'microsoft.directory/applications/delete');
  assert.equal(graphChange('GET', '/v1.0/applications', 't'), undefined);
});

test('retention: the oldest events beyond maxEvents and those older than maxDays are pruned; listing is newest first', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-activity-'));
  const store = openEmbeddedStore(dir);
  t.after(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });
  const log = new ActivityLog(store, { maxEvents: 3, maxDays: 10 });
  const now = Date.now();
  const rec = (daysAgo: number, n: number): ActivityRecord => ({
    eventDataId: `e${n}`, time: new Date(now - daysAgo * 86_400_000 + n).toISOString(), tenantId: 't', subscriptionId: 'S1',
    operationName: 'Microsoft.X/y/write', resourceId: '/subscriptions/S1/x', resourceProvider: 'Microsoft.X', resourceType: 'Microsoft.X/y',
    surface: 'ARM', method: 'PUT', status: 'Succeeded', httpStatus: 200, correlationId: `c${n}`, caller: 'me', principalId: 'p',
    principalType: 'User', ipAddress: '127.0.0.1', claims: {},
  });
  for (const [i, days] of [20, 5, 4, 3, 2].entries()) await log.record(rec(days, i));
  assert.equal(await log.prune(now), 2, 'one too old, one beyond the count');
  const listed = await log.list('t', 's1', { from: 0, to: now + 1 });
  assert.deepEqual(listed.map((r) => r.eventDataId), ['e4', 'e3', 'e2']);
});
