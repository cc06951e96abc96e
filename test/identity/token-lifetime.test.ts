// Tokens need a lifetime (issue 10 §2), identity side: client assertions must carry `exp`, honour
// `nbf`/`iat` within five minutes of skew, and may write the time claims as MSAL.NET does (JSON
// strings of digits) or as MSAL Python does (fractional `iat`, padded `x5t`); Entra bearer tokens
// without `exp` get 401 with the reason on ARM and Graph.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { issuerV1 } from '../../src/identity/index.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { createClientCert, removeCertFiles, type ClientCert } from '../helpers/certs.ts';
import { assertEntraError, assertionClaims, host, postForm, rawRequest, scrubAzureEnv, signJwt, WEBPUBSUB_SCOPE, type RawResponse } from './support.ts';

const TENANT = '7d1f3c52-0b8e-4c6a-9f21-5e3a4b6c7d10';
const APP = '7d1f3c52-0b8e-4c6a-9f21-5e3a4b6c7d11';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
let lapis: TestLapis;
let cert: ClientCert;
let H: string;

before(async () => {
  scrubAzureEnv();
  cert = await createClientCert('lifetime-app');
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      signInLockout: { threshold: 1000 },
      applications: [{ displayName: 'lifetime-app', appId: APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: cert.certPem }] }],
    },
  });
  H = host(lapis.ready);
});

after(async () => {
  await lapis?.stop();
  removeCertFiles();
});

const tokenUrl = () => `${H}/${TENANT}/oauth2/v2.0/token`;
const now = () => Math.floor(Date.now() / 1000);
const ps256 = { alg: 'PS256', typ: 'JWT' };

function exchange(claims: Record<string, unknown>, header: Record<string, unknown> = { ...ps256, 'x5t#S256': cert.x5tS256 }): Promise<RawResponse> {
  return postForm(tokenUrl(), {
    grant_type: 'client_credentials', client_id: APP, scope: WEBPUBSUB_SCOPE,
    client_assertion_type: JWT_BEARER, client_assertion: signJwt(header, claims, cert.privateKey),
  });
}

const without = (o: Record<string, unknown>, ...keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

test('client assertion without exp → 401 AADSTS50013 naming the missing exp', async () => {
  const res = await exchange(without(assertionClaims(APP, tokenUrl()), 'exp'));
  assertEntraError(res, { status: 401, error: 'invalid_client', code: 50013 });
  assert.match(res.json.error_description, /'exp'/);
});

test('client assertion expired beyond the skew, or nbf beyond the skew → 401 AADSTS700024 with the times', async () => {
  // 10 s beyond the 300 s skew: a second that ticks over between here and the server's check must
  // not bring an edge case back inside it.
  const t = now();
  const expired = await exchange(assertionClaims(APP, tokenUrl(), { nbf: t - 1000, iat: t - 1000, exp: t - 310 }));
  assertEntraError(expired, { status: 401, error: 'invalid_client', code: 700024 });
  assert.match(expired.json.error_description, /expired\. Current time: .*expiry time of assertion/);
  const early = await exchange(assertionClaims(APP, tokenUrl(), { nbf: t + 310, iat: t, exp: t + 600 }));
  assertEntraError(early, { status: 401, error: 'invalid_client', code: 700024 });
  assert.match(early.json.error_description, /not valid yet/);
});

test('client assertion within the five-minute skew either side is accepted', async () => {
  const t = now();
  assert.equal((await exchange(assertionClaims(APP, tokenUrl(), { nbf: t + 250, iat: t, exp: t + 600 }))).status, 200);
  assert.equal((await exchange(assertionClaims(APP, tokenUrl(), { nbf: t - 800, iat: t - 800, exp: t - 200 }))).status, 200);
});

test('MSAL.NET shape: nbf and exp as JSON strings of digits are accepted', async () => {
  const t = now();
  const res = await exchange({ aud: tokenUrl(), iss: APP, sub: APP, jti: randomUUID(), nbf: String(t), exp: String(t + 600) });
  assert.equal(res.status, 200, res.text);
});

test('only well-formed numeric strings: "", "1e10", " 123", "-5", "0x10", an object → 401 AADSTS50013', async () => {
  const t = now();
  for (const bad of ['', '1e10', ` ${t + 600}`, '-5', '0x10', { n: 1 }, true, Number.MAX_SAFE_INTEGER]) {
    const res = await exchange({ aud: tokenUrl(), iss: APP, sub: APP, jti: randomUUID(), nbf: t, exp: bad });
    assertEntraError(res, { status: 401, error: 'invalid_client', code: 50013 }, `exp ${JSON.stringify(bad)}`);
  }
  const badNbf = await exchange({ aud: tokenUrl(), iss: APP, sub: APP, jti: randomUUID(), nbf: 'soon', exp: t + 600 });
  assertEntraError(badNbf, { status: 401, code: 50013 }, 'nbf "soon"');
});

test('MSAL Python shape: RS256, x5t with = padding, fractional iat, no nbf', async () => {
  const padded = `${cert.x5t}${'='.repeat((4 - (cert.x5t.length % 4)) % 4)}`;
  assert.ok(padded.endsWith('='), 'a SHA-1 thumbprint in base64 always has padding');
  const t = Date.now() / 1000;
  const res = await exchange({ aud: tokenUrl(), iss: APP, sub: APP, jti: randomUUID(), iat: t, exp: Math.floor(t) + 600 }, { alg: 'RS256', typ: 'JWT', x5t: padded });
  assert.equal(res.status, 200, res.text);
});

test('an assertion valid for more than an hour is refused (AADSTS700024)', async () => {
  const t = now();
  assertEntraError(await exchange(assertionClaims(APP, tokenUrl(), { nbf: t, iat: t, exp: t + 7200 })), { status: 401, code: 700024 });
});

// ---- Entra bearer tokens verified by Lapis (ARM, Graph) ----------------------------------------

async function bearer(claims: Record<string, unknown>): Promise<string> {
  const key = lapis.node.identity.keys.current();
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, x5t: key.kid });
  if (!('noIat' in claims)) jwt = jwt.setIssuedAt();
  return jwt.sign(key.privateKey);
}

function managementClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  const oid = lapis.ready.managedIdentity.systemAssigned.objectId;
  return {
    aud: 'https://management.azure.com', iss: issuerV1(H, lapis.ready.tenantId), tid: lapis.ready.tenantId,
    oid, sub: oid, appid: lapis.ready.managedIdentity.systemAssigned.clientId, ver: '1.0', nbf: t - 10, exp: t + 3600, ...over,
  };
}

test('ARM: a bearer token without exp → 401 InvalidAuthenticationToken, reason in body and WWW-Authenticate', async () => {
  const token = await bearer(without(managementClaims(), 'exp'));
  const res = await rawRequest(H, `/subscriptions/${lapis.ready.subscriptionId}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 401, res.text);
  assert.equal(res.json.error.code, 'InvalidAuthenticationToken');
  assert.match(res.json.error.message, /'exp'/);
  assert.match(String(res.headers['www-authenticate']), /^Bearer .*error="invalid_token".*exp/);
});

test('ARM: nbf beyond the skew → 401; expired → 401 ExpiredAuthenticationToken; a good token passes authentication', async () => {
  const t = now();
  const path = `/subscriptions/${lapis.ready.subscriptionId}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`;
  const early = await rawRequest(H, path, { headers: { authorization: `Bearer ${await bearer(managementClaims({ nbf: t + 600 }))}` } });
  assert.equal(early.status, 401, early.text);
  assert.match(early.json.error.message, /not valid yet/);
  const expired = await rawRequest(H, path, { headers: { authorization: `Bearer ${await bearer(managementClaims({ nbf: t - 7200, exp: t - 400 }))}` } });
  assert.equal(expired.status, 401);
  assert.equal(expired.json.error.code, 'ExpiredAuthenticationToken');
  const good = await rawRequest(H, path, { headers: { authorization: `Bearer ${await bearer(managementClaims())}` } });
  assert.equal(good.status, 200, good.text);
});

test('Graph: a bearer token without exp → 401 InvalidAuthenticationToken with WWW-Authenticate', async () => {
  const token = await bearer(without(managementClaims({ aud: 'https://graph.microsoft.com' }), 'exp'));
  const res = await rawRequest(H, '/v1.0/applications', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 401, res.text);
  assert.equal(res.json.error.code, 'InvalidAuthenticationToken');
  assert.match(res.json.error.message, /'exp'/);
  assert.match(String(res.headers['www-authenticate']), /^Bearer /);
});
