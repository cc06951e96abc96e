// The az CLI 2.45, unmodified, through a custom cloud (issue 10 §4): `az cloud register` against
// Lapis's ARM metadata, `az login --service-principal` (ends with GET /subscriptions),
// `az account show`, `az account get-access-token --resource https://webpubsub.azure.com` and
// `az rest` against the Web PubSub data plane. Each test run has its own AZURE_CONFIG_DIR (a temp
// folder) so nothing touches the user's az settings; telemetry and version checks are off so az
// talks to nothing but Lapis. Skips with the reason when az is not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azOk, azRunner, useLapisCloud } from '../helpers/az.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { host, verifyAccessToken, WEBPUBSUB } from './support.ts';
import { azCli } from './external-tools.ts';

const TENANT = 'b15d7a96-4f2c-4a0e-9d65-9c7e8f0a1b50';
const SUB = 'b15d7a96-4f2c-4a0e-9d65-9c7e8f0a1b51';
const SP = { displayName: 'az-sp', appId: 'b15d7a96-4f2c-4a0e-9d65-9c7e8f0a1b52', secret: 'Az-secret-value-0123456789' };
const RESOURCE = `/subscriptions/${SUB}/resourceGroups/rg-az/providers/Microsoft.SignalRService/webPubSub/azchat`;
const tool = azCli();
const skip = tool.path ? false : tool.reason!;
if (skip) console.log(`# skipping az CLI tests: ${skip}`);

let lapis: TestLapis;
let configDir: string;

before(async () => {
  if (skip) return;
  configDir = mkdtempSync(join(tmpdir(), 'lapis-az-'));
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT, subscriptionId: SUB,
      applications: [{ displayName: SP.displayName, appId: SP.appId, passwordCredentials: [{ secretText: SP.secret }] }],
      resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'azchat', resourceGroup: 'rg-az' }],
      // Its only role is on the resource: ARM still lists the subscription to it (az login needs one).
      roleAssignments: [{ principal: SP.displayName, roleDefinitionName: 'Web PubSub Service Owner', scope: RESOURCE }],
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

test('az: register the Lapis cloud, log in as a service principal, read the account, get a Web PubSub token, call the data plane', { skip, timeout: 600_000 }, async () => {
  const H = host(lapis.ready);
  await useLapisCloud(runAz, H);

  const login = await az('login', '--service-principal', '--username', SP.appId, '--password', SP.secret, '--tenant', TENANT);
  ok(login, 'az login');
  assert.deepEqual(login.json.map((s: any) => s.id), [SUB], 'az login found the subscription through GET /subscriptions');
  assert.equal(login.json[0].tenantId, TENANT);

  const show = await az('account', 'show');
  ok(show, 'az account show');
  assert.equal(show.json.id, SUB);
  assert.equal(show.json.tenantId, TENANT);
  assert.equal(show.json.environmentName, 'Lapis');
  assert.deepEqual(show.json.user, { name: SP.appId, type: 'servicePrincipal' });

  const token = await az('account', 'get-access-token', '--resource', WEBPUBSUB);
  ok(token, 'az account get-access-token');
  assert.equal(token.json.tenant, TENANT);
  const v = await verifyAccessToken(lapis.ready, token.json.accessToken, { audience: WEBPUBSUB, ver: '1.0' });
  assert.equal(v.payload.appid, SP.appId);

  const endpoint = lapis.ready.resources!.find((r) => r.name === 'azchat')!.endpoint;
  const send = await az('rest', '--method', 'post', '--url', `${endpoint}/api/hubs/chat/:send?api-version=2024-01-01`,
    '--resource', WEBPUBSUB, '--headers', 'Content-Type=text/plain', '--body', 'hello from az', '--debug');
  ok(send, 'az rest :send');
  assert.match(send.stderr, /Response status: 202/);

  const subs = await az('rest', '--method', 'get', '--url', `${H}/subscriptions?api-version=2022-12-01`);
  ok(subs, 'az rest GET /subscriptions');
  assert.equal(subs.json.value[0].subscriptionId, SUB);
});
