// `az identity create/show/list/delete` (az CLI 2.45, unmodified, api-version 2022-01-31-preview)
// against Lapis through a custom cloud, as a service principal that is Contributor on the resource
// group; then the identity az created gets a token from the managed-identity endpoint. Each run has
// its own AZURE_CONFIG_DIR; telemetry and version checks are off. Skips when az is not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azOk, azRunner, useLapisCloud } from '../helpers/az.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { host } from '../identity/support.ts';
import { azCli } from '../identity/external-tools.ts';

const TENANT = 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f71';
const SUB = 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f72';
const SP = { displayName: 'az-identity-sp', appId: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f73', secret: 'Az-identity-secret-0123456789' };
const tool = azCli();
const skip = tool.path ? false : tool.reason!;
if (skip) console.log(`# skipping az identity tests: ${skip}`);

let lapis: TestLapis;
let configDir: string;

before(async () => {
  if (skip) return;
  configDir = mkdtempSync(join(tmpdir(), 'lapis-az-mi-'));
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT, subscriptionId: SUB,
      applications: [{ displayName: SP.displayName, appId: SP.appId, passwordCredentials: [{ secretText: SP.secret }] }],
      roleAssignments: [{ principal: SP.displayName, roleDefinitionName: 'Contributor', scope: `/subscriptions/${SUB}/resourceGroups/rg-az` }],
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

test('az identity create, show, list, delete; the created identity gets a token', { skip, timeout: 600_000 }, async () => {
  const H = host(lapis.ready);
  await useLapisCloud(runAz, H);
  ok(await az('login', '--service-principal', '--username', SP.appId, '--password', SP.secret, '--tenant', TENANT), 'az login');

  const created = await az('identity', 'create', '-g', 'rg-az', '-n', 'id-from-az', '-l', 'westus2');
  ok(created, 'az identity create');
  assert.equal(created.json.name, 'id-from-az');
  assert.equal(created.json.location, 'westus2');
  assert.equal(created.json.tenantId, TENANT);
  assert.match(created.json.clientId, /^[0-9a-f-]{36}$/);
  assert.match(created.json.principalId, /^[0-9a-f-]{36}$/);

  const shown = await az('identity', 'show', '-g', 'rg-az', '-n', 'id-from-az');
  ok(shown, 'az identity show');
  assert.equal(shown.json.clientId, created.json.clientId);
  assert.equal(shown.json.id, `/subscriptions/${SUB}/resourceGroups/rg-az/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-from-az`);

  const listed = await az('identity', 'list', '-g', 'rg-az');
  ok(listed, 'az identity list');
  assert.deepEqual(listed.json.map((i: { name: string }) => i.name), ['id-from-az']);

  const mi = lapis.ready.managedIdentity;
  const res = await fetch(`${mi.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://webpubsub.azure.com')}&client_id=${created.json.clientId}`, { headers: { 'X-IDENTITY-HEADER': mi.identityHeader } });
  assert.equal(res.status, 200);

  ok(await az('identity', 'delete', '-g', 'rg-az', '-n', 'id-from-az'), 'az identity delete');
  const gone = await az('identity', 'show', '-g', 'rg-az', '-n', 'id-from-az');
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /ResourceNotFound|was not found/);
});
