// `lapis keyvault …` (named after `az keyvault …`) as a child process, as a user runs it: set-policy
// and delete-policy change who may read a vault that uses access policies, on the next call.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

const T = '8d1b7c55-0000-4000-8000-0000000000a8';
const S = '8d1b7c55-0000-4000-8000-0000000000b8';
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'lapis.js');
const APP_SECRET = 'cli-app-secret-0123456789abcdefgh';

let lapis: TestLapis;
before(async () => {
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      applications: [{ displayName: 'cli-app', passwordCredentials: [{ secretText: APP_SECRET }] }],
      resources: [{
        type: 'Microsoft.KeyVault/vaults', name: 'kv-cli', resourceGroup: 'rg-cli',
        properties: { enableRbacAuthorization: false }, secrets: [{ name: 'code', value: 'cli-code' }],
      }],
    },
  });
});
after(async () => { await lapis?.stop(); });

function kv(...args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, 'keyvault', ...args, '-d', lapis.dataDir], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(Object.assign(new Error(stderr.trim() || err.message), { exitCode: err.code }));
      resolve(stdout.trim() ? JSON.parse(stdout) : undefined);
    });
  });
}

const app = () => lapis.node.identity.directory.findApplication('cli-app')!;
const oid = () => lapis.node.identity.directory.servicePrincipal(app().appId)!.id;
function client(): SecretClient {
  const cred = new ClientSecretCredential(T, app().appId, APP_SECRET, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
  return new SecretClient(lapis.ready.resources.find((r) => r.name === 'kv-cli')!.vaultUri!, cred, { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } });
}
const forbiddenByPolicy = (e: any) => e.statusCode === 403 && e.details?.error?.innerError?.code === 'ForbiddenByPolicy';

test('set-policy --spn grants, set-policy --object-id changes, delete-policy revokes; each on the next call', async () => {
  await assert.rejects(client().getSecret('code'), forbiddenByPolicy);

  const set = await kv('set-policy', '--name', 'kv-cli', '--spn', app().appId, '--secret-permissions', 'get', 'list');
  assert.deepEqual(set.properties.accessPolicies, [{ tenantId: T, objectId: oid(), permissions: { secrets: ['get', 'list'] } }]);
  assert.equal((await client().getSecret('code')).value, 'cli-code');
  await assert.rejects(client().setSecret('code', 'x'), forbiddenByPolicy);

  // A category given replaces that category; the principal keeps one entry.
  const widened = await kv('set-policy', '--name', 'kv-cli', '-g', 'rg-cli', '--object-id', oid(), '--secret-permissions', 'Get', 'Set');
  assert.deepEqual(widened.properties.accessPolicies, [{ tenantId: T, objectId: oid(), permissions: { secrets: ['get', 'set'] } }]);
  assert.equal((await client().setSecret('code', 'changed')).value, 'changed');

  const shown = await kv('show', '--name', 'kv-cli');
  assert.equal(shown.properties.enableRbacAuthorization, false);

  const deleted = await kv('delete-policy', '--name', 'kv-cli', '--spn', 'cli-app');
  assert.deepEqual(deleted.properties.accessPolicies, []);
  await assert.rejects(client().getSecret('code'), forbiddenByPolicy);
});

test('bad input is refused with a message', async () => {
  await assert.rejects(kv('set-policy', '--name', 'kv-cli', '--spn', app().appId, '--secret-permissions', 'read'), /'read' is not a secrets permission/);
  await assert.rejects(kv('set-policy', '--name', 'kv-cli', '--secret-permissions', 'get'), /exactly one of --object-id, --spn and --upn/);
  await assert.rejects(kv('set-policy', '--name', 'kv-cli', '--upn', 'nobody@example.com', '--secret-permissions', 'get'), /Unable to find user/);
  await assert.rejects(kv('show', '--name', 'kv-none'), /not found within subscription/);
  await assert.rejects(kv('update', '--name', 'kv-cli', '--enable-rbac-authorization', 'maybe'), /true or false/);
});
