// The authorization code flow over raw HTTP (no browser): the sign-in page and its cookies, the
// code with PKCE, ID tokens verified with jose, refresh-token rotation, and every error path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, jwtVerify } from 'jose';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { WEBPUBSUB, assertEntraError, discovery, host, postForm, remoteJwks, scrubAzureEnv, verifyAccessToken, type RawResponse } from './support.ts';
import { CookieJar, authorizeUrl, browse, codeFrom, formAction, hiddenValue, pkce, signIn, tokenUrl } from './interactive-support.ts';

const TENANT = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c61';
const DOMAIN = 'fabrikam.onmicrosoft.com';
const DESKTOP = '6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d62';
const WEB = { appId: '7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e63', secret: 'web-app-secret-63', redirect: 'https://app.example/callback' };
const USER = { userPrincipalName: `megan@${DOMAIN}`, displayName: 'Megan Bowen', password: 'Megan-password-64!', id: '8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f64' };
const LOOPBACK = 'http://localhost:43125/';
const LOGIN = { login: USER.userPrincipalName, password: USER.password };

let lapis: TestLapis;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT, domains: [DOMAIN], users: [USER],
      applications: [
        { displayName: 'desktop-app', appId: DESKTOP, publicClient: { redirectUris: ['http://localhost'] } },
        { displayName: 'web-app', appId: WEB.appId, passwordCredentials: [{ secretText: WEB.secret }], web: { redirectUris: [WEB.redirect], logoutUrl: 'https://app.example/signed-out' } },
      ],
      signInLockout: { threshold: 3, durationSeconds: 60 },
    },
  });
});

after(async () => {
  lapis.node.identity.interactiveState.now = Date.now;
  await lapis?.stop();
});

/** Signs in through the desktop app (public, PKCE) and returns the code with its verifier. */
async function desktopCode(jar = new CookieJar(), extra: { nonce?: string; scope?: string } = {}): Promise<{ code: string; verifier: string; jar: CookieJar }> {
  const { verifier, challenge } = pkce();
  const page = await signIn(lapis, jar, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge, state: 'st-1', ...extra }, LOGIN);
  return { code: codeFrom(page, { redirectUri: LOOPBACK, state: 'st-1' }), verifier, jar };
}

const redeem = (code: string, verifier: string, over: Record<string, string> = {}): Promise<RawResponse> => postForm(tokenUrl(lapis, TENANT), {
  client_id: DESKTOP, grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: LOOPBACK,
  scope: 'https://webpubsub.azure.com/.default openid profile offline_access', client_info: '1', ...over,
});

const refresh = (token: string): Promise<RawResponse> => postForm(tokenUrl(lapis, TENANT), {
  client_id: DESKTOP, grant_type: 'refresh_token', refresh_token: token, scope: 'https://webpubsub.azure.com/.default openid profile offline_access',
});

test('the sign-in page: CSP without inline script, no framing, anti-forgery cookie HttpOnly Secure SameSite', async () => {
  const jar = new CookieJar();
  const page = await browse(jar, authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge: pkce().challenge }));
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /form-action 'self' http:\/\/localhost:43125/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.doesNotMatch(page.text, /<script>/, 'no inline script');
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  const csrfCookie = page.headers.getSetCookie().find((c) => c.startsWith('__Host-lapis-csrf='));
  assert.ok(csrfCookie);
  assert.match(csrfCookie, /HttpOnly/);
  assert.match(csrfCookie, /Secure/);
  assert.match(csrfCookie, /SameSite=Strict/);
  assert.match(page.text, /name="login"/);
  assert.match(page.text, /name="passwd"/);
});

test('code + PKCE: access token, ID token (nonce, claims) verified with jose, refresh token, client_info; session cookie flags', async () => {
  const { verifier, challenge } = pkce();
  const jar = new CookieJar();
  const page = await signIn(lapis, jar, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge, state: 'abc', nonce: 'n-0S6_WzA2Mj' }, LOGIN);
  const session = page.headers.getSetCookie().find((c) => c.startsWith('__Host-lapis-session='));
  assert.ok(session, 'a session cookie');
  assert.match(session, /HttpOnly/);
  assert.match(session, /Secure/);
  assert.match(session, /SameSite=Lax/);
  const code = codeFrom(page, { redirectUri: LOOPBACK, state: 'abc' });
  const res = await redeem(code, verifier);
  assert.equal(res.status, 200, res.text);
  const body = res.json;
  assert.equal(body.token_type, 'Bearer');
  assert.equal(typeof body.expires_in, 'number');
  assert.equal(body.scope, 'https://webpubsub.azure.com/.default');
  const at = await verifyAccessToken(lapis.ready, body.access_token, { audience: WEBPUBSUB, ver: '1.0' });
  assert.equal(at.payload.oid, USER.id);
  assert.equal(at.payload.upn, USER.userPrincipalName);
  assert.equal(at.payload.appid, DESKTOP);
  assert.equal(at.payload.appidacr, '0');
  assert.equal(at.payload.idtyp, 'user');
  const doc = await discovery(lapis.ready, TENANT, '2.0');
  const id = await jwtVerify(body.id_token, remoteJwks(doc.jwks_uri), { issuer: doc.issuer, audience: DESKTOP, algorithms: ['RS256'], clockTolerance: 300 });
  const p = id.payload as Record<string, unknown>;
  assert.equal(p.iss, `${host(lapis.ready)}/${TENANT}/v2.0`);
  assert.equal(p.nonce, 'n-0S6_WzA2Mj');
  assert.equal(p.ver, '2.0');
  assert.equal(p.tid, TENANT);
  assert.equal(p.oid, USER.id);
  assert.equal(p.preferred_username, USER.userPrincipalName);
  assert.equal(p.name, USER.displayName);
  assert.equal(typeof p.sub, 'string');
  for (const c of ['iat', 'nbf', 'exp', 'auth_time']) assert.ok(Number.isInteger(p[c]), c);
  assert.equal(typeof body.refresh_token, 'string');
  assert.deepEqual(JSON.parse(Buffer.from(body.client_info, 'base64url').toString()), { uid: USER.id, utid: TENANT });
});

test('a code is single use: the second redemption is refused (AADSTS54005) and revokes the refresh token of the first', async () => {
  const { code, verifier } = await desktopCode();
  const first = await redeem(code, verifier);
  assert.equal(first.status, 200, first.text);
  assertEntraError(await redeem(code, verifier), { status: 400, error: 'invalid_grant', code: 54005 }, 'second redemption');
  assertEntraError(await refresh(first.json.refresh_token), { status: 400, error: 'invalid_grant', code: 50173 }, 'refresh after a code replay');
});

test('PKCE: a wrong or missing code_verifier is refused (AADSTS501481)', async () => {
  const a = await desktopCode();
  assertEntraError(await redeem(a.code, pkce().verifier), { status: 400, error: 'invalid_grant', code: 501481 });
  const b = await desktopCode();
  const res = await postForm(tokenUrl(lapis, TENANT), { client_id: DESKTOP, grant_type: 'authorization_code', code: b.code, redirect_uri: LOOPBACK, scope: 'openid' });
  assertEntraError(res, { status: 400, error: 'invalid_grant', code: 501481 });
});

test('the token request must name the redirect_uri the code was issued for (AADSTS500112), and the same client', async () => {
  const a = await desktopCode();
  assertEntraError(await redeem(a.code, a.verifier, { redirect_uri: 'http://localhost:9999/' }), { status: 400, error: 'invalid_grant', code: 500112 });
  const b = await desktopCode();
  assertEntraError(await redeem(b.code, b.verifier, { client_id: WEB.appId, client_secret: WEB.secret }), { status: 400, error: 'invalid_grant', code: 70000 });
});

test('an expired code is refused (AADSTS70008); an unknown one is invalid_grant (AADSTS70000)', async () => {
  const { code, verifier } = await desktopCode();
  const state = lapis.node.identity.interactiveState;
  state.now = () => Date.now() + 11 * 60_000;
  try {
    assertEntraError(await redeem(code, verifier), { status: 400, error: 'invalid_grant', code: 70008 });
  } finally {
    state.now = Date.now;
  }
  assertEntraError(await redeem('1.not-a-code', verifier), { status: 400, error: 'invalid_grant', code: 70000 });
});

test('a refresh token unused for 90 days is refused (AADSTS700082)', async () => {
  const { code, verifier } = await desktopCode();
  const rt = (await redeem(code, verifier)).json.refresh_token as string;
  const state = lapis.node.identity.interactiveState;
  state.now = () => Date.now() + 91 * 24 * 3600_000;
  try {
    assertEntraError(await refresh(rt), { status: 400, error: 'invalid_grant', code: 700082 });
  } finally {
    state.now = Date.now;
  }
});

test('refresh tokens rotate: each use returns a new one; reusing an old one revokes the whole family (AADSTS50173)', async () => {
  const { code, verifier } = await desktopCode();
  const rt1 = (await redeem(code, verifier)).json.refresh_token as string;
  const second = await refresh(rt1);
  assert.equal(second.status, 200, second.text);
  const rt2 = second.json.refresh_token as string;
  assert.notEqual(rt2, rt1, 'a new refresh token');
  assert.equal(typeof second.json.id_token, 'string');
  await verifyAccessToken(lapis.ready, second.json.access_token, { audience: WEBPUBSUB, ver: '1.0' });
  // Another resource with the same refresh token family (multi-resource refresh tokens).
  const vault = await postForm(tokenUrl(lapis, TENANT), { client_id: DESKTOP, grant_type: 'refresh_token', refresh_token: rt2, scope: 'https://vault.azure.net/.default offline_access' });
  assert.equal(vault.status, 200, vault.text);
  assert.equal(decodeJwt(vault.json.access_token).aud, 'https://vault.azure.net');
  const rt3 = vault.json.refresh_token as string;
  assertEntraError(await refresh(rt1), { status: 400, error: 'invalid_grant', code: 50173 }, 'reuse of a rotated token');
  assertEntraError(await refresh(rt3), { status: 400, error: 'invalid_grant', code: 50173 }, 'the newest token after the family was revoked');
  assertEntraError(await refresh('1.unknown'), { status: 400, error: 'invalid_grant', code: 70000 });
});

test('prompt=none: login_required (AADSTS50058) without a session, with the state; a code with one; interaction_required for another login_hint', async () => {
  const { challenge } = pkce();
  const none = await browse(new CookieJar(), authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge, prompt: 'none', state: 'S1' }));
  assert.equal(none.status, 302);
  const to = new URL(none.location!);
  assert.equal(to.searchParams.get('error'), 'login_required');
  assert.match(to.searchParams.get('error_description')!, /^AADSTS50058: /);
  assert.equal(to.searchParams.get('state'), 'S1');
  const { jar } = await desktopCode();
  const silent = await browse(jar, authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge, prompt: 'none', state: 'S2' }));
  codeFrom(silent, { redirectUri: LOOPBACK, state: 'S2' });
  const other = await browse(jar, authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge, prompt: 'none', extra: { login_hint: `someone@${DOMAIN}` } }));
  assert.equal(new URL(other.location!).searchParams.get('error'), 'interaction_required');
  // prompt=login shows the form even with a session.
  const login = await browse(jar, authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge, prompt: 'login' }));
  assert.equal(login.status, 200);
  assert.match(login.text, /name="passwd"/);
});

test('the sign-in form post without the anti-forgery token, or with another one, is refused (AADSTS90023) and signs nobody in', async () => {
  const jar = new CookieJar();
  const page = await browse(jar, authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge: pkce().challenge }));
  const action = `${host(lapis.ready)}${formAction(page.text)}`;
  for (const csrf of [undefined, 'x'.repeat(43)]) {
    const res = await browse(jar, action, { login: LOGIN.login, passwd: LOGIN.password, ...(csrf ? { csrf } : {}) });
    assert.equal(res.status, 400);
    assert.match(res.text, /AADSTS90023/);
    assert.equal(res.location, undefined);
    assert.equal(jar.cookies.has('__Host-lapis-session'), false);
  }
});

test('a wrong password shows AADSTS50126 on the page; repeated failures lock the user out (AADSTS50053)', async () => {
  const jar = new CookieJar();
  const wrong = { login: LOGIN.login, password: 'not-the-password' };
  const page = await signIn(lapis, jar, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge: pkce().challenge }, wrong);
  assert.equal(page.status, 200);
  assert.match(page.text, /AADSTS50126/);
  let last = page;
  for (let i = 0; i < 3; i++) last = await signIn(lapis, jar, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge: pkce().challenge }, wrong);
  assert.match(last.text, /AADSTS50053/);
  const right = await signIn(lapis, jar, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge: pkce().challenge }, LOGIN);
  assert.match(right.text, /AADSTS50053/, 'locked: even the right password is not checked');
  await lapis.node.identity.tokens.lockout.succeeded(`${TENANT}|${LOGIN.login.toLowerCase()}`);
});

test('unknown client (AADSTS700016) and an unregistered redirect URI (AADSTS50011) are shown on a page, never redirected', async () => {
  const unknown = await browse(new CookieJar(), authorizeUrl(lapis, TENANT, { clientId: '00000000-1111-4222-8333-444444444444', redirectUri: LOOPBACK, challenge: pkce().challenge }));
  assert.equal(unknown.status, 400);
  assert.match(unknown.text, /AADSTS700016/);
  const bad = await browse(new CookieJar(), authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: 'https://evil.example/', challenge: pkce().challenge }));
  assert.equal(bad.status, 400);
  assert.match(bad.text, /AADSTS50011/);
  assert.equal(bad.location, undefined);
});

test('PKCE is required for public clients and must be S256 (AADSTS9002325 back to the redirect URI); response_type must be code', async () => {
  const none = await browse(new CookieJar(), authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK }));
  assert.match(new URL(none.location!).searchParams.get('error_description')!, /^AADSTS9002325: /);
  const plain = await browse(new CookieJar(), authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, extra: { code_challenge: pkce().challenge, code_challenge_method: 'plain' } }));
  assert.equal(new URL(plain.location!).searchParams.get('error'), 'invalid_request');
  const token = await browse(new CookieJar(), authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge: pkce().challenge, extra: { response_type: 'token' } }));
  assert.equal(new URL(token.location!).searchParams.get('error'), 'unsupported_response_type');
});

test('a confidential web app redeems its code with its secret only (AADSTS7000218 without); form_post answers with an auto-submitted form', async () => {
  const jar = new CookieJar();
  const page = await signIn(lapis, jar, TENANT, { clientId: WEB.appId, redirectUri: WEB.redirect, responseMode: 'form_post', state: 'w1', scope: 'openid profile offline_access' }, LOGIN);
  assert.equal(page.status, 200);
  assert.match(page.text, new RegExp(`<form method="post" action="${WEB.redirect}">`));
  assert.match(page.text, /<script src="\/lapis-signin\/autosubmit\.js"><\/script>/);
  assert.match(page.headers.get('content-security-policy')!, /form-action 'self' https:\/\/app\.example/);
  const code = hiddenValue(page.text, 'code')!;
  assert.equal(hiddenValue(page.text, 'state'), 'w1');
  const base = { client_id: WEB.appId, grant_type: 'authorization_code', code, redirect_uri: WEB.redirect, scope: 'openid offline_access' };
  assertEntraError(await postForm(tokenUrl(lapis, TENANT), base), { status: 401, error: 'invalid_client', code: 7000218 });
  const jar2 = new CookieJar();
  const again = await signIn(lapis, jar2, TENANT, { clientId: WEB.appId, redirectUri: WEB.redirect, responseMode: 'form_post', scope: 'openid profile offline_access' }, LOGIN);
  const ok = await postForm(tokenUrl(lapis, TENANT), { ...base, code: hiddenValue(again.text, 'code')!, client_secret: WEB.secret });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(decodeJwt(ok.json.access_token).aud, 'https://graph.microsoft.com', 'only OpenID scopes: a Graph token, as Entra');
  assert.equal(decodeJwt(ok.json.access_token).appidacr, '1');
});

test('sign-out: confirmation with the anti-forgery token, session ended, back to a registered post_logout_redirect_uri', async () => {
  const { jar } = await desktopCode();
  const logout = `${host(lapis.ready)}/${TENANT}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent('https://app.example/signed-out')}&state=bye`;
  const confirm = await browse(jar, logout);
  assert.equal(confirm.status, 200);
  assert.match(confirm.text, new RegExp(USER.userPrincipalName));
  const refused = await browse(jar, `${host(lapis.ready)}${formAction(confirm.text)}`, {});
  assert.equal(refused.status, 400, 'no anti-forgery token: refused');
  const done = await browse(jar, `${host(lapis.ready)}${formAction(confirm.text)}`, { csrf: hiddenValue(confirm.text, 'csrf')! });
  assert.equal(done.status, 302);
  assert.equal(done.location, 'https://app.example/signed-out?state=bye');
  assert.equal(jar.cookies.has('__Host-lapis-session'), false);
  const silent = await browse(jar, authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge: pkce().challenge, prompt: 'none' }));
  assert.equal(new URL(silent.location!).searchParams.get('error'), 'login_required');
  // An unregistered target is not followed.
  const stranger = await browse(new CookieJar(), `${host(lapis.ready)}/${TENANT}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`);
  assert.equal(stranger.status, 200);
});

// Last: it resets the user's password (and sets it back).
test('an administrator\'s password reset ends earlier sign-ins: refresh tokens (AADSTS50173) and the browser session', async () => {
  const { code, verifier, jar } = await desktopCode();
  const rt = (await redeem(code, verifier)).json.refresh_token as string;
  // auth_time has one-second resolution: a reset in the same second as the sign-in would not count as later.
  await new Promise((r) => setTimeout(r, 1100));
  await lapis.node.identity.directory.updateUser(USER.userPrincipalName, { password: 'Reset-by-admin-1!' });
  try {
    assertEntraError(await refresh(rt), { status: 400, error: 'invalid_grant', code: 50173 }, 'refresh after the reset');
    const { challenge } = pkce();
    const silent = await browse(jar, authorizeUrl(lapis, TENANT, { clientId: DESKTOP, redirectUri: LOOPBACK, challenge, prompt: 'none', state: 'S9' }));
    assert.equal(new URL(silent.location!).searchParams.get('error'), 'login_required', 'the session from before the reset is over');
  } finally {
    await lapis.node.identity.directory.updateUser(USER.userPrincipalName, { password: USER.password });
  }
});
