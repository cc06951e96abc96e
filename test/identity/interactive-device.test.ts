// The device code flow: DeviceCodeCredential (unmodified) with its userPromptCallback's code typed
// on Lapis's /devicelogin by headless Chromium; and the raw endpoint with every polling error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { WEBPUBSUB, WEBPUBSUB_SCOPE, assertEntraError, assertSdkToken, host, postForm, scrubAzureEnv, verifyAccessToken, within } from './support.ts';
import { CHROMIUM, CookieJar, NO_CHROMIUM, browse, hiddenValue, tokenUrl } from './interactive-support.ts';

const TENANT = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d81';
const DOMAIN = 'tailspin.onmicrosoft.com';
const DEVICE_APP = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e82';
const CONFIDENTIAL = '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f83';
const USER = { userPrincipalName: `lee@${DOMAIN}`, displayName: 'Lee Gu', password: 'Lee-password-84!', id: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a84' };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let lapis: TestLapis;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT, domains: [DOMAIN], users: [USER],
      applications: [{ displayName: 'tv-app', appId: DEVICE_APP, isFallbackPublicClient: true }, { displayName: 'server-app', appId: CONFIDENTIAL }],
    },
  });
});

after(async () => {
  lapis.node.identity.interactiveState.now = Date.now;
  await lapis?.stop();
});

const deviceCodeUrl = () => `${host(lapis.ready)}/${TENANT}/oauth2/v2.0/devicecode`;
const start = async () => {
  const res = await postForm(deviceCodeUrl(), { client_id: DEVICE_APP, scope: `${WEBPUBSUB_SCOPE} openid profile offline_access` });
  assert.equal(res.status, 200, res.text);
  return res.json as { user_code: string; device_code: string; verification_uri: string; expires_in: number; interval: number; message: string };
};
const poll = (deviceCode: string) => postForm(tokenUrl(lapis, TENANT), { client_id: DEVICE_APP, grant_type: DEVICE_GRANT, device_code: deviceCode });

/** Enters the user code on /devicelogin over raw HTTP, signs in and approves or declines. */
async function approveRaw(userCode: string, decision: 'approve' | 'decline'): Promise<string> {
  const jar = new CookieJar();
  const enter = await browse(jar, `${host(lapis.ready)}/devicelogin`);
  const csrf = hiddenValue(enter.text, 'csrf')!;
  const signInPage = await browse(jar, `${host(lapis.ready)}/devicelogin`, { csrf, otc: userCode });
  assert.match(signInPage.text, /name="passwd"/);
  const confirm = await browse(jar, `${host(lapis.ready)}/devicelogin`, { csrf, otc: userCode, login: USER.userPrincipalName, passwd: USER.password });
  assert.match(confirm.text, /Are you trying to sign in to tv-app\?/);
  const done = await browse(jar, `${host(lapis.ready)}/devicelogin`, { csrf, otc: userCode, lapis_action: decision });
  return done.text;
}

test('the devicecode response has Entra\'s fields and message', async () => {
  const d = await start();
  assert.match(d.user_code, /^[A-Z0-9]{9}$/);
  assert.equal(typeof d.device_code, 'string');
  assert.equal(d.verification_uri, `${host(lapis.ready)}/devicelogin`);
  assert.equal(d.interval, 5);
  assert.ok(d.expires_in > 800 && d.expires_in <= 900);
  assert.equal(d.message, `To sign in, use a web browser to open the page ${d.verification_uri} and enter the code ${d.user_code} to authenticate.`);
});

test('polling: authorization_pending (AADSTS70016), slow_down when too fast, then tokens once approved, then the code is spent', async () => {
  const d = await start();
  assertEntraError(await poll(d.device_code), { status: 400, error: 'authorization_pending', code: 70016 });
  assertEntraError(await poll(d.device_code), { status: 400, error: 'slow_down', code: 70016 });
  assert.match(await approveRaw(d.user_code, 'approve'), /You have signed in to tv-app on your device/);
  const ok = await poll(d.device_code);
  assert.equal(ok.status, 200, ok.text);
  const v = await verifyAccessToken(lapis.ready, ok.json.access_token, { audience: WEBPUBSUB, ver: '1.0' });
  assert.equal(v.payload.oid, USER.id);
  assert.equal(typeof ok.json.refresh_token, 'string');
  assert.equal(typeof ok.json.id_token, 'string');
  assertEntraError(await poll(d.device_code), { status: 400, error: 'invalid_grant', code: 54005 });
});

test('a declined sign-in answers authorization_declined; an expired code expired_token (AADSTS70019); an unknown one bad_verification_code', async () => {
  const declined = await start();
  assert.match(await approveRaw(declined.user_code, 'decline'), /Sign-in cancelled/);
  assertEntraError(await poll(declined.device_code), { status: 400, error: 'authorization_declined', code: 65004 });
  const old = await start();
  const state = lapis.node.identity.interactiveState;
  state.now = () => Date.now() + 901_000;
  try {
    assertEntraError(await poll(old.device_code), { status: 400, error: 'expired_token', code: 70019 });
  } finally {
    state.now = Date.now;
  }
  assertEntraError(await poll('not-a-device-code'), { status: 400, error: 'bad_verification_code', code: 70000 });
});

test('devicecode errors: unknown client AADSTS700016, a client without public client flows AADSTS7000218, missing scope AADSTS900144, GET AADSTS900561; PUT on authorize 405', async () => {
  assertEntraError(await postForm(deviceCodeUrl(), { client_id: '00000000-1111-4222-8333-444444444444', scope: WEBPUBSUB_SCOPE }), { status: 400, code: 700016 });
  assertEntraError(await postForm(deviceCodeUrl(), { client_id: CONFIDENTIAL, scope: WEBPUBSUB_SCOPE }), { status: 401, code: 7000218 });
  assertEntraError(await postForm(deviceCodeUrl(), { client_id: DEVICE_APP }), { status: 400, code: 900144 });
  const get = await fetch(deviceCodeUrl());
  assert.equal(get.status, 400, 'a GET on the device authorization endpoint: Entra\'s POST-only answer');
  assert.match(await get.text(), /AADSTS900561/);
  const put = await fetch(`${host(lapis.ready)}/${TENANT}/oauth2/v2.0/authorize`, { method: 'PUT' });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('allow'), 'GET, HEAD, POST');
});

test('/devicelogin: a wrong code is shown as such; a post without the anti-forgery token is refused', async () => {
  const jar = new CookieJar();
  const enter = await browse(jar, `${host(lapis.ready)}/devicelogin`);
  const wrong = await browse(jar, `${host(lapis.ready)}/devicelogin`, { csrf: hiddenValue(enter.text, 'csrf')!, otc: 'BCDFGHJKL' });
  assert.match(wrong.text, /That code didn&#39;t work/);
  const forged = await browse(new CookieJar(), `${host(lapis.ready)}/devicelogin`, { otc: 'BCDFGHJKL' });
  assert.equal(forged.status, 400);
  assert.match(forged.text, /AADSTS90023/);
});

test('DeviceCodeCredential: the prompt\'s code is entered on /devicelogin by Chromium (signed in), getToken resolves', { skip: NO_CHROMIUM, timeout: 90_000 }, async () => {
  const { DeviceCodeCredential } = await import('@azure/identity');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    let typed: Promise<void> = Promise.resolve();
    let prompt: { userCode: string; verificationUri: string; message: string } | undefined;
    const cred = new DeviceCodeCredential({
      tenantId: TENANT, clientId: DEVICE_APP, authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true,
      userPromptCallback: (info) => {
        prompt = info;
        typed = (async () => {
          await page.goto(info.verificationUri);
          await page.fill('#otc', info.userCode);
          await page.click('#idSIButton9');
          await page.fill('#login', USER.userPrincipalName);
          await page.fill('#passwd', USER.password);
          await page.click('#idSIButton9');
          await page.click('#idSIButton9'); // "Continue" on "Are you trying to sign in to tv-app?"
          await page.waitForSelector('#done');
        })();
      },
    });
    const t = await within(cred.getToken(WEBPUBSUB_SCOPE), 60_000, 'DeviceCodeCredential.getToken');
    await typed;
    assertSdkToken(t);
    assert.equal(prompt?.verificationUri, `${host(lapis.ready)}/devicelogin`);
    const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
    assert.equal(v.payload.upn, USER.userPrincipalName);
    assert.equal(v.payload.appid, DEVICE_APP);
    assert.match(await page.textContent('#done') ?? '', /You have signed in to tv-app/);
  } finally {
    await browser.close();
  }
});
