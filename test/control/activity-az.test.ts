// `az monitor activity-log list` (azure-cli, unmodified) against Lapis's activity log: a change
// made with `az rest` is listed with its caller and operation, filtered by resource group,
// correlation id and caller as az builds the filter (bare timestamps without a zone).
// Skips with the reason when az is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { azLoginServicePrincipal, azOk, azWorld, useLapisCloud } from '../helpers/az.ts';

const TENANT = 'ac7e1a20-0000-4000-8000-000000000001';
const SUB = 'ac7e1a20-0000-4000-8000-000000000002';
const SP = { displayName: 'az-activity', appId: 'ac7e1a20-0000-4000-8000-000000000003', secret: 'Az-activity-secret-0123456789' };
const RESOURCE = `/subscriptions/${SUB}/resourceGroups/rg-az/providers/Microsoft.SignalRService/webPubSub/azchat`;
const world = azWorld('az activity-log tests', {
  tenantId: TENANT, subscriptionId: SUB,
  applications: [{ displayName: SP.displayName, appId: SP.appId, passwordCredentials: [{ secretText: SP.secret }] }],
  resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'azchat', resourceGroup: 'rg-az' }],
  roleAssignments: [{ principal: SP.displayName, roleDefinitionName: 'Contributor', scope: `/subscriptions/${SUB}` }],
});
const { skip, az } = world;
const ok = azOk;

test('az monitor activity-log list shows a change made with az, filtered by resource group, correlation id and caller', { skip, timeout: 600_000 }, async () => {
  const H = world.host;
  await useLapisCloud(world.run, H);
  await azLoginServicePrincipal(world, SP, TENANT);

  const put = await az('rest', '--method', 'put', '--url', `${H}${RESOURCE}/hubs/audited?api-version=2024-03-01`,
    '--body', JSON.stringify({ properties: { anonymousConnectPolicy: 'deny' } }));
  ok(put, 'az rest PUT hub');

  const byGroup = await az('monitor', 'activity-log', 'list', '--resource-group', 'rg-az', '--offset', '1h');
  ok(byGroup, 'az monitor activity-log list --resource-group');
  const e = byGroup.json.find((x: any) => x.operationName.value === 'Microsoft.SignalRService/webPubSub/hubs/write');
  assert.ok(e, byGroup.stdout.slice(0, 2000));
  assert.equal(e.caller, SP.appId);
  assert.equal(e.resourceId, `${RESOURCE}/hubs/audited`);
  assert.equal(e.status.value, 'Succeeded');
  assert.equal(e.resourceGroupName, 'rg-az');

  const byCorrelation = await az('monitor', 'activity-log', 'list', '--correlation-id', e.correlationId, '--offset', '1h');
  ok(byCorrelation, 'az monitor activity-log list --correlation-id');
  assert.deepEqual(byCorrelation.json.map((x: any) => x.eventDataId), [e.eventDataId]);

  const byCaller = await az('monitor', 'activity-log', 'list', '--caller', SP.appId, '--status', 'Succeeded', '--offset', '1h');
  ok(byCaller, 'az monitor activity-log list --caller');
  assert.ok(byCaller.json.some((x: any) => x.eventDataId === e.eventDataId));

  const nobody = await az('monitor', 'activity-log', 'list', '--caller', 'someone-else@contoso.test', '--offset', '1h');
  ok(nobody, 'az monitor activity-log list --caller (nobody)');
  assert.deepEqual(nobody.json, []);
});
