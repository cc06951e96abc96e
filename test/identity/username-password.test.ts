// UsernamePasswordCredential (ROPC, reference §1.6) through a public-client app registration
// (`isFallbackPublicClient: true`), and the raw password grant.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { UsernamePasswordCredential } from '@azure/identity';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import {
  WEBPUBSUB, WEBPUBSUB_SCOPE, assertCommonClaims, assertEntraError, assertSdkToken, host, postForm, rejection,
  scrubAzureEnv, verifyAccessToken, within,
} from './support.ts';

const TENANT = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e131';
const DOMAIN = 'adatum.onmicrosoft.com';
const CLI_APP = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c32';
const CONFIDENTIAL_APP = { appId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d33', secret: 'ropc-confidential-secret-33' };
const USER = { userPrincipalName: `alice@${DOMAIN}`, password: 'Alice-password-34!', id: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e34' };

let lapis: TestLapis;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      domains: [DOMAIN],
      applications: [
        { displayName: 'dev-cli', appId: CLI_APP, isFallbackPublicClient: true },
        { displayName: 'confidential', appId: CONFIDENTIAL_APP.appId, passwordCredentials: [{ secretText: CONFIDENTIAL_APP.secret }] },
      ],
      users: [USER],
    },
  });
});

after(async () => {
  await lapis?.stop();
});

const opts = () => ({ authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });

test('UsernamePasswordCredential gets a user token: upn, scp, idtyp "user", oid = the user', { timeout: 60_000 }, async () => {
  const cred = new UsernamePasswordCredential(TENANT, CLI_APP, USER.userPrincipalName, USER.password, opts());
  const t = await within(cred.getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
  assertCommonClaims(v, lapis.ready);
  const p = v.payload;
  assert.equal(p.iss, `${host(lapis.ready)}/${TENANT}/`);
  assert.equal(p.aud, WEBPUBSUB);
  assert.equal(p.upn, USER.userPrincipalName);
  assert.equal(typeof p.scp, 'string');
  assert.ok(String(p.scp).length > 0, 'scp is not empty');
  assert.equal(p.idtyp, 'user');
  assert.equal(p.oid, USER.id);
  assert.equal(p.appid, CLI_APP, 'appid is the public client the user signed in through');
  assert.equal(p.appidacr, '0', 'a public client has appidacr "0"');
  assert.notEqual(p.sub, undefined);
});

test('a second getToken is served from the SDK cache (full ROPC response with id_token and client_info)', { timeout: 60_000 }, async () => {
  const cred = new UsernamePasswordCredential(DOMAIN, CLI_APP, USER.userPrincipalName, USER.password, opts());
  const a = await within(cred.getToken(WEBPUBSUB_SCOPE));
  const b = await within(cred.getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(a);
  assertSdkToken(b);
  assert.ok(b.token === a.token, 'second getToken returned a different token: msal-node caches the account only when the ROPC response has id_token + client_info');
});

test('wrong password surfaces AADSTS50126 through the SDK, not a hang', { timeout: 60_000 }, async () => {
  const cred = new UsernamePasswordCredential(TENANT, CLI_APP, USER.userPrincipalName, 'Wrong-password-00!', opts());
  const err = await rejection(cred.getToken(WEBPUBSUB_SCOPE));
  assert.ok(['AuthenticationError', 'AuthenticationRequiredError'].includes(err.name), `${err.name}: ${err.message}`);
  assert.match(err.message, /AADSTS50126/);
});

test('raw password grant: wrong password → 400 invalid_grant AADSTS50126; unknown user → invalid_grant too', { timeout: 60_000 }, async () => {
  const url = `${host(lapis.ready)}/${TENANT}/oauth2/v2.0/token`;
  const fields = { grant_type: 'password', client_id: CLI_APP, username: USER.userPrincipalName, password: 'Wrong-password-00!', scope: `${WEBPUBSUB_SCOPE} openid profile offline_access`, client_info: '1' };
  assertEntraError(await postForm(url, fields), { status: 400, error: 'invalid_grant', code: 50126 }, 'wrong password');
  assertEntraError(await postForm(url, { ...fields, username: `nobody@${DOMAIN}` }), { status: 400, error: 'invalid_grant' }, 'unknown user');
});

test('raw password grant with the right password answers the ROPC response shape', { timeout: 60_000 }, async () => {
  const url = `${host(lapis.ready)}/${DOMAIN}/oauth2/v2.0/token`;
  const res = await postForm(url, { grant_type: 'password', client_id: CLI_APP, username: USER.userPrincipalName, password: USER.password, scope: `${WEBPUBSUB_SCOPE} openid profile offline_access`, client_info: '1', response_type: 'id_token token' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.token_type, 'Bearer');
  assert.equal(typeof res.json.access_token, 'string');
  assert.ok(Number(res.json.expires_in) > 600);
  assert.equal(typeof res.json.id_token, 'string', 'id_token (needed for the SDK account cache)');
  assert.equal(typeof res.json.client_info, 'string', 'client_info (needed for the SDK account cache)');
  const info = JSON.parse(Buffer.from(res.json.client_info, 'base64url').toString('utf8'));
  assert.equal(info.uid, USER.id);
  assert.equal(info.utid, TENANT);
});

test('password grant on /organizations (allowed by Entra for work accounts) issues a token of the user\'s tenant', { timeout: 30_000 }, async () => {
  const res = await postForm(`${host(lapis.ready)}/organizations/oauth2/v2.0/token`, { grant_type: 'password', client_id: CLI_APP, username: USER.userPrincipalName, password: USER.password, scope: `${WEBPUBSUB_SCOPE} openid profile offline_access`, client_info: '1' });
  assert.equal(res.status, 200, res.text);
  const v = await verifyAccessToken(lapis.ready, res.json.access_token, { audience: WEBPUBSUB, ver: '1.0' });
  assert.equal(v.payload.tid, TENANT);
  assert.equal(v.payload.oid, USER.id);
});

test('the password grant through a confidential app without its secret is refused (AADSTS7000218)', { timeout: 60_000 }, async () => {
  const url = `${host(lapis.ready)}/${TENANT}/oauth2/v2.0/token`;
  const res = await postForm(url, { grant_type: 'password', client_id: CONFIDENTIAL_APP.appId, username: USER.userPrincipalName, password: USER.password, scope: WEBPUBSUB_SCOPE });
  assertEntraError(res, { status: 401, error: 'invalid_client', code: 7000218 });
});

test('user realm discovery (what MSAL.NET asks before a password sign-in): Managed for the tenant\'s domains, Unknown otherwise, by domain only', async () => {
  const realm = async (path: string) => {
    const res = await fetch(`${host(lapis.ready)}${path}?api-version=1.0`);
    assert.equal(res.status, 200);
    return (await res.json()) as { account_type: string; domain_name?: string; ver: string };
  };
  const known = await realm(`/common/userrealm/${encodeURIComponent(USER.userPrincipalName)}`);
  assert.equal(known.account_type, 'Managed');
  assert.equal(known.domain_name, DOMAIN);
  assert.equal(known.ver, '1.0');
  // Another name in the same domain gets the same answer: the endpoint does not reveal who exists.
  assert.deepEqual(await realm(`/common/userrealm/${encodeURIComponent(`nobody@${DOMAIN}`)}`), known);
  assert.equal((await realm(`/${TENANT}/userrealm/${encodeURIComponent(USER.userPrincipalName)}`)).account_type, 'Managed');
  assert.equal((await realm('/common/userrealm/someone%40fabrikam.example')).account_type, 'Unknown');
  assert.equal((await realm('/common/userrealm/not-an-email')).account_type, 'Unknown');
});
