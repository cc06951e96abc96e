// `az monitor activity-log list` (azure-cli, unmodified) against Lapis's activity log: a change
// made with `az rest` is listed with its caller and operation, filtered by resource group,
// correlation id and caller as az builds the filter (bare timestamps without a zone).
// Skips with the reason when az is not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azOk, azRunner, useLapisCloud } from '../helpers/az.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { host } from '../identity/support.ts';
import { azCli } from '../identity/external-tools.ts';

const TENANT = 'ac7e1a20-0000-4000-8000-000000000001';
const SUB = 'ac7e1a20-0000-4000-8000-000000000002';
const SP = { displayName: 'az-activity', appId: 'ac7e1a20-0000-4000-8000-000000000003', secret: 'Az-activity-secret-0123456789' };
const RESOURCE = `/subscriptions/${SUB}/resourceGroups/rg-az/providers/Microsoft.SignalRService/webPubSub/azchat`;
const tool = azCli();
const skip = tool.path ? false : tool.reason!;
if (skip) console.log(`# skipping az activity-log tests: ${skip}`);

let lapis: TestLapis;
let configDir: string;

before(async () => {
  if (skip) return;
  configDir = mkdtempSync(join(tmpdir(), 'lapis-az-activity-'));
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT, subscriptionId: SUB,
      applications: [{ displayName: SP.displayName, appId: SP.appId, passwordCredentials: [{ secretText: SP.secret }] }],
      resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'azchat', resourceGroup: 'rg-az' }],
      roleAssignments: [{ principal: SP.displayName, roleDefinitionName: 'Contributor', scope: `/subscriptions/${SUB}` }],
    },
  });
});

after(async () => {
  await lapis?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

const runAz = azRunner(() => ({ configDir, caCertPath: lapis.ready.caCertPath }));
const az = (...args: string[]) => runAz(args);
const ok = azOk;

test('az monitor activity-log list shows a change made with az, filtered by resource group, correlation id and caller', { skip, timeout: 600_000 }, async () => {
  const H = host(lapis.ready);
  await useLapisCloud(runAz, H);
  ok(await az('login', '--service-principal', '--username', SP.appId, '--password', SP.secret, '--tenant', TENANT), 'az login');

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
