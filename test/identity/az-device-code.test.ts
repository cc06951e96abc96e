// `az login --use-device-code` (az 2.45, unmodified) against Lapis as a user: az asks the `adfs`
// authority's v1 device authorization endpoint with the Azure CLI's well-known client id
// (04b07795-…), which Lapis registers in the tenant as a public client on first use, as Entra
// knows it everywhere; the code az prints is entered on /devicelogin (raw HTTP), the user signs
// in and approves, az's polling gets the tokens and `az account show` names the user. Skips with
// the reason when az is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { azWorld, useLapisCloud, type AzOptions } from '../helpers/az.ts';
import { CookieJar, browse, hiddenValue } from './interactive-support.ts';

const TENANT = 'c26e8ba7-5a3d-4b1f-8e76-0d8f9a1b2c60';
const SUB = 'c26e8ba7-5a3d-4b1f-8e76-0d8f9a1b2c61';
const DOMAIN = 'contoso-az.onmicrosoft.com';
const USER = { userPrincipalName: `dana@${DOMAIN}`, displayName: 'Dana Dev', password: 'Dana-password-42!' };
const AZURE_CLI = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const world = azWorld('az device-code test', {
  tenantId: TENANT, subscriptionId: SUB, domains: [DOMAIN], users: [USER],
  roleAssignments: [{ principal: USER.userPrincipalName, roleDefinitionName: 'Reader', scope: `/subscriptions/${SUB}` }],
});
const { skip } = world;
const az = (args: string[], onStderr?: AzOptions['onStderr']) => world.run(args, { onStderr, timeoutMs: 120_000 });

test('az login --use-device-code: the code az prints is approved on /devicelogin and az is signed in as the user', { skip, timeout: 300_000 }, async () => {
  const H = world.host;
  await useLapisCloud(world.run, H, false);

  let approving: Promise<string> | undefined;
  const login = await az(['login', '--use-device-code', '--tenant', TENANT], (all) => {
    const m = /open the page (\S+) and enter the code (\w+)/.exec(all);
    if (!m || approving) return;
    assert.equal(m[1], `${H}/devicelogin`);
    approving = (async () => {
      const jar = new CookieJar();
      const enter = await browse(jar, `${H}/devicelogin`);
      const csrf = hiddenValue(enter.text, 'csrf')!;
      await browse(jar, `${H}/devicelogin`, { csrf, otc: m[2]! });
      await browse(jar, `${H}/devicelogin`, { csrf, otc: m[2]!, login: USER.userPrincipalName, passwd: USER.password });
      return (await browse(jar, `${H}/devicelogin`, { csrf, otc: m[2]!, lapis_action: 'approve' })).text;
    })();
  });
  assert.ok(approving, `az printed no device code: ${login.stderr.slice(-1500)}`);
  assert.match(await approving!, /You have signed in to Microsoft Azure CLI on your device/);
  assert.equal(login.code, 0, `az login failed: ${login.stderr.slice(-2000)}`);
  const accounts = JSON.parse(login.stdout) as { id: string; tenantId: string; user: { name: string; type: string } }[];
  assert.deepEqual(accounts.map((a) => a.id), [SUB]);
  assert.deepEqual(accounts[0]!.user, { name: USER.userPrincipalName, type: 'user' });
  assert.ok(world.lapis.node.identity.directory.getApplication(TENANT, AZURE_CLI)?.isFallbackPublicClient, 'the Azure CLI is registered as a public client on first use');

  const token = await az(['account', 'get-access-token']);
  assert.equal(token.code, 0, token.stderr.slice(-1500));
  const claims = JSON.parse(Buffer.from((JSON.parse(token.stdout) as { accessToken: string }).accessToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  assert.equal(claims.upn, USER.userPrincipalName);
  assert.equal(claims.appid, AZURE_CLI);
});
