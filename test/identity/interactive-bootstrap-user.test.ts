// The bootstrap administrator user (DESIGN.md, "Portal, metrics"): made on the first start of a
// world as admin@<default domain>, Owner at `/`, its password handed out once; never again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { postForm, scrubAzureEnv } from './support.ts';
import { CookieJar, codeFrom, pkce, signIn, tokenUrl } from './interactive-support.ts';

const OWNER_ROLE_ID = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const DESKTOP = '6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b91';
let lapis: TestLapis;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis();
});

after(async () => {
  await lapis?.stop();
});

test('first start: admin@<default domain> exists, is Owner at "/", signs in with the password given once; a restart gives none', { timeout: 60_000 }, async () => {
  const given = lapis.node.bootstrapUser;
  assert.ok(given, 'the first start hands out the bootstrap user');
  const tenant = lapis.node.identity.directory.defaultTenant;
  assert.equal(given.userPrincipalName, `admin@${tenant.domains[0]}`);
  assert.ok(given.password.length >= 20);
  const user = lapis.node.identity.directory.getUser(given.userPrincipalName)!;
  assert.ok(user);
  const owner = lapis.node.access.roleAssignments().filter((a) => a.principalId === user.id && a.scope === '/');
  assert.equal(owner.length, 1, 'one assignment at /');
  assert.ok(owner[0]!.roleDefinitionId.endsWith(OWNER_ROLE_ID), 'Owner');

  // It signs in through the authorize endpoint like any user.
  await lapis.node.identity.directory.upsertApplication(tenant.id, { displayName: 'desktop', appId: DESKTOP, publicClient: { redirectUris: ['http://localhost'] } });
  const { verifier, challenge } = pkce();
  const redirectUri = 'http://localhost:40111/';
  const page = await signIn(lapis, new CookieJar(), tenant.id, { clientId: DESKTOP, redirectUri, challenge }, { login: given.userPrincipalName, password: given.password });
  const code = codeFrom(page, { redirectUri });
  const res = await postForm(tokenUrl(lapis, tenant.id), { client_id: DESKTOP, grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, scope: 'https://management.azure.com/.default openid' });
  assert.equal(res.status, 200, res.text);
  assert.equal(decodeJwt(res.json.access_token).oid, user.id);

  await lapis.restart();
  assert.equal(lapis.node.bootstrapUser, undefined, 'never shown again');
  assert.equal(lapis.node.identity.directory.getUser(given.userPrincipalName)?.id, user.id, 'the same user');
  assert.ok(await lapis.node.identity.directory.checkPassword(lapis.node.identity.directory.getUser(given.userPrincipalName)!, given.password), 'password unchanged');
});
