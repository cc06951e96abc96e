// The browser session between sign-ins: prompt=select_account offers "Continue as" the signed-in
// user, a native app's custom-scheme redirect URI, and a session that ends with its user.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { host, scrubAzureEnv } from './support.ts';
import { CookieJar, authorizeUrl, browse, codeFrom, formAction, hiddenValue, pkce, signIn } from './interactive-support.ts';

const TENANT = '8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0db1';
const DOMAIN = 'contoso-session.onmicrosoft.com';
const APP = '9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1eb2';
const NATIVE = 'msal9c0d1e2f://auth';
const USER = { userPrincipalName: `diego@${DOMAIN}`, password: 'Diego-password-b3!' };
const LOOPBACK = 'http://localhost:45000/';

let lapis: TestLapis;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT, domains: [DOMAIN], users: [USER],
      applications: [{ displayName: 'native', appId: APP, publicClient: { redirectUris: ['http://localhost', NATIVE] } }],
    },
  });
});

after(async () => {
  await lapis?.stop();
});

const login = { login: USER.userPrincipalName, password: USER.password };

test('prompt=select_account with a session: "Continue as" the user gives a code without the password', async () => {
  const jar = new CookieJar();
  codeFrom(await signIn(lapis, jar, TENANT, { clientId: APP, redirectUri: LOOPBACK, challenge: pkce().challenge }, login), { redirectUri: LOOPBACK });
  const page = await browse(jar, authorizeUrl(lapis, TENANT, { clientId: APP, redirectUri: LOOPBACK, challenge: pkce().challenge, prompt: 'select_account', state: 'sel' }));
  assert.equal(page.status, 200);
  assert.match(page.text, new RegExp(`Continue as ${USER.userPrincipalName}`));
  assert.match(page.text, /name="passwd"/, 'and the form for another account');
  const next = await browse(jar, `${host(lapis.ready)}${formAction(page.text)}`, { csrf: hiddenValue(page.text, 'csrf')!, lapis_action: 'continue' });
  codeFrom(next, { redirectUri: LOOPBACK, state: 'sel' });
});

test('a custom-scheme redirect URI (native app) is allowed by the page\'s CSP by its scheme', async () => {
  const page = await browse(new CookieJar(), authorizeUrl(lapis, TENANT, { clientId: APP, redirectUri: NATIVE, challenge: pkce().challenge }));
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy')!, /form-action 'self' msal9c0d1e2f:;/);
});

test('a session of a user who no longer exists signs nobody in', async () => {
  const jar = new CookieJar();
  const temp = { userPrincipalName: `temp@${DOMAIN}`, password: 'Temp-password-b4!' };
  await lapis.node.identity.directory.upsertUser(TENANT, temp);
  codeFrom(await signIn(lapis, jar, TENANT, { clientId: APP, redirectUri: LOOPBACK, challenge: pkce().challenge }, { login: temp.userPrincipalName, password: temp.password }), { redirectUri: LOOPBACK });
  await lapis.node.identity.directory.upsertUser(TENANT, { ...temp, password: 'Another-password-b5!', id: '0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2fb5' });
  const silent = await browse(jar, authorizeUrl(lapis, TENANT, { clientId: APP, redirectUri: LOOPBACK, challenge: pkce().challenge, prompt: 'none' }));
  assert.equal(new URL(silent.location!).searchParams.get('error'), 'login_required', 'a session is bound to the user object, not only its name');
});
