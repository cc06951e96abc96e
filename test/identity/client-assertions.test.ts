// Hand-made client assertions (reference §1.5): what Lapis must accept (PS256/RS256, x5t#S256/x5t,
// aud = the endpoint called, small clock skew) and refuse (alg none, HS256 keyed with the public
// key, foreign key or kid, unknown certificate, tampered payload, time out of range, wrong aud,
// replayed jti).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomUUID } from 'node:crypto';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import { createClientCert, removeCertFiles } from '../helpers/certs.ts';
import type { ClientCert } from '../helpers/certs.ts';
import {
  WEBPUBSUB, WEBPUBSUB_SCOPE, assertEntraError, assertV1AppClaims, assertionClaims, host, postForm, scrubAzureEnv, signJwt,
  verifyAccessToken,
} from './support.ts';
import type { RawResponse } from './support.ts';

const TENANT = 'f1a2b3c4-d5e6-4f7a-9b8c-9d0e1f2a3b91';
const DOMAIN = 'proseware.onmicrosoft.com';
const APP = 'a2b3c4d5-e6f7-4a8b-8c9d-0e1f2a3b4c92';
const OTHER_APP = 'b3c4d5e6-f7a8-4b9c-9d0e-1f2a3b4c5d93';
const EXPIRED_CERT_APP = 'c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6e94';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let lapis: TestLapis;
let H: string;
let cert: ClientCert;
let other: ClientCert;
let stranger: ClientCert;
let expired: ClientCert;

before(async () => {
  scrubAzureEnv();
  [cert, other, stranger, expired] = await Promise.all([
    createClientCert('assertion-app'), createClientCert('other-app'), createClientCert('stranger'),
    createClientCert('expired-cert', { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') }),
  ]);
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      domains: [DOMAIN],
      // This file sends many bad assertions for one client on purpose; lockout has its own tests.
      signInLockout: { threshold: 1000 },
      applications: [
        { displayName: 'assertion-app', appId: APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: cert.certPem }] },
        { displayName: 'other-app', appId: OTHER_APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: other.certPem }] },
        { displayName: 'expired-cert-app', appId: EXPIRED_CERT_APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: expired.certPem }] },
      ],
    },
  });
  H = host(lapis.ready);
});

after(async () => {
  await lapis?.stop();
  removeCertFiles();
});

const v2 = (tenant = TENANT) => `${H}/${tenant}/oauth2/v2.0/token`;
const ps256 = (c: ClientCert = cert, extra: Record<string, unknown> = {}) => ({ alg: 'PS256', typ: 'JWT', 'x5t#S256': c.x5tS256, ...extra });

function exchange(assertion: string, url = v2(), clientId = APP, extra: Record<string, string> = {}): Promise<RawResponse> {
  return postForm(url, { grant_type: 'client_credentials', client_id: clientId, scope: WEBPUBSUB_SCOPE, client_assertion_type: JWT_BEARER, client_assertion: assertion, ...extra });
}

const badSignature = { status: 401, error: 'invalid_client', code: 700027 } as const;

test('accepted: PS256 with x5t#S256 (what the SDK sends) → v1 token, appidacr "2"', { timeout: 30_000 }, async () => {
  const res = await exchange(signJwt(ps256(), assertionClaims(APP, v2()), cert.privateKey));
  assert.equal(res.status, 200, res.text);
  const v = await verifyAccessToken(lapis.ready, res.json.access_token, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: APP, appidacr: '2' });
});

test('accepted: RS256 with only x5t (SHA-1 thumbprint, older clients)', { timeout: 30_000 }, async () => {
  const res = await exchange(signJwt({ alg: 'RS256', typ: 'JWT', x5t: cert.x5t }, assertionClaims(APP, v2()), cert.privateKey));
  assert.equal(res.status, 200, res.text);
});

test('accepted: aud naming the domain form of the tenant when that URL was called; on the v1 endpoint too', { timeout: 30_000 }, async () => {
  const url = v2(DOMAIN);
  const res = await exchange(signJwt(ps256(), assertionClaims(APP, url), cert.privateKey), url);
  assert.equal(res.status, 200, res.text);
  const v1url = `${H}/${TENANT}/oauth2/token`;
  const res1 = await postForm(v1url, { grant_type: 'client_credentials', client_id: APP, resource: WEBPUBSUB, client_assertion_type: JWT_BEARER, client_assertion: signJwt(ps256(), assertionClaims(APP, v1url), cert.privateKey) });
  assert.equal(res1.status, 200, res1.text);
});

test('accepted: nbf a few seconds in the future (MSAL rounds nbf; bounded clock skew)', { timeout: 30_000 }, async () => {
  const now = Math.floor(Date.now() / 1000);
  const res = await exchange(signJwt(ps256(), assertionClaims(APP, v2(), { nbf: now + 3, iat: now + 3 }), cert.privateKey));
  assert.equal(res.status, 200, res.text);
});

test('refused: alg "none" (no signature) → 401 invalid_client AADSTS700027', { timeout: 30_000 }, async () => {
  const claims = assertionClaims(APP, v2());
  assertEntraError(await exchange(signJwt({ alg: 'none', typ: 'JWT', 'x5t#S256': cert.x5tS256 }, claims, null)), badSignature, 'alg none');
  assertEntraError(await exchange(signJwt({ alg: 'None', typ: 'JWT', 'x5t#S256': cert.x5tS256 }, assertionClaims(APP, v2()), null)), badSignature, 'alg None');
});

test('refused: HS256 keyed with the registered public key (algorithm confusion) → AADSTS700027', { timeout: 30_000 }, async () => {
  const spki = createPublicKey(cert.privateKey).export({ type: 'spki', format: 'pem' }) as string;
  for (const [what, secret] of [['certificate PEM', cert.certPem], ['SPKI PEM', spki], ['DER', cert.der.toString('binary')]] as const) {
    const a = signJwt({ alg: 'HS256', typ: 'JWT', 'x5t#S256': cert.x5tS256 }, assertionClaims(APP, v2()), Buffer.from(secret, what === 'DER' ? 'binary' : 'utf8'));
    assertEntraError(await exchange(a), badSignature, `HS256 with ${what}`);
  }
});

test('refused: signed by a foreign key under the registered thumbprint → AADSTS700027', { timeout: 30_000 }, async () => {
  assertEntraError(await exchange(signJwt(ps256(cert), assertionClaims(APP, v2()), stranger.privateKey)), badSignature);
});

test('refused: unknown certificate thumbprint, another app\'s certificate, or a foreign kid → AADSTS700027', { timeout: 30_000 }, async () => {
  assertEntraError(await exchange(signJwt(ps256(stranger), assertionClaims(APP, v2()), stranger.privateKey)), badSignature, 'unregistered certificate');
  assertEntraError(await exchange(signJwt(ps256(other), assertionClaims(APP, v2()), other.privateKey)), badSignature, "another app's certificate");
  assertEntraError(await exchange(signJwt({ alg: 'RS256', typ: 'JWT', kid: 'foreign-kid-1' }, assertionClaims(APP, v2()), stranger.privateKey)), badSignature, 'foreign kid, no thumbprint');
  assertEntraError(await exchange(signJwt({ alg: 'PS256', typ: 'JWT' }, assertionClaims(APP, v2()), cert.privateKey)), { status: 401, error: 'invalid_client' }, 'no kid/x5t at all');
});

test('refused: a registered certificate past its notAfter → 401 invalid_client AADSTS700027', { timeout: 30_000 }, async () => {
  const a = signJwt(ps256(expired), assertionClaims(EXPIRED_CERT_APP, v2()), expired.privateKey);
  assertEntraError(await exchange(a, v2(), EXPIRED_CERT_APP), badSignature, 'expired certificate');
});

test('refused: tampered payload (valid signature for different claims) → AADSTS700027', { timeout: 30_000 }, async () => {
  const genuine = signJwt(ps256(), assertionClaims(APP, v2()), cert.privateKey);
  const [h, p, s] = genuine.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
  const tampered = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86400, jti: randomUUID() })).toString('base64url');
  assertEntraError(await exchange(`${h}.${tampered}.${s}`), badSignature, 'tampered payload');
  const flipped = `${s!.slice(0, -4)}${s!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
  assertEntraError(await exchange(`${h}.${p}.${flipped}`), badSignature, 'flipped signature bytes');
});

test('refused: assertion time out of range → 401 invalid_client AADSTS700024', { timeout: 30_000 }, async () => {
  const now = Math.floor(Date.now() / 1000);
  const expired = assertionClaims(APP, v2(), { nbf: now - 7200, iat: now - 7200, exp: now - 3600 });
  assertEntraError(await exchange(signJwt(ps256(), expired, cert.privateKey)), { status: 401, error: 'invalid_client', code: 700024 }, 'expired');
  const future = assertionClaims(APP, v2(), { nbf: now + 3600, iat: now + 3600, exp: now + 4200 });
  assertEntraError(await exchange(signJwt(ps256(), future, cert.privateKey)), { status: 401, error: 'invalid_client', code: 700024 }, 'not yet valid');
});

test('refused: aud not the endpoint called → 401 invalid_client AADSTS50013', { timeout: 30_000 }, async () => {
  const wrongHost = assertionClaims(APP, `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`);
  assertEntraError(await exchange(signJwt(ps256(), wrongHost, cert.privateKey)), { status: 401, error: 'invalid_client', code: 50013 }, 'Microsoft aud');
  const otherTenant = assertionClaims(APP, `${H}/${randomUUID()}/oauth2/v2.0/token`);
  assertEntraError(await exchange(signJwt(ps256(), otherTenant, cert.privateKey)), { status: 401, error: 'invalid_client', code: 50013 }, 'other tenant aud');
});

test('refused: iss/sub not the client_id, or missing jti → 401 invalid_client', { timeout: 30_000 }, async () => {
  const wrongIss = assertionClaims(APP, v2(), { iss: OTHER_APP, sub: OTHER_APP });
  assertEntraError(await exchange(signJwt(ps256(), wrongIss, cert.privateKey)), { status: 401, error: 'invalid_client' }, 'iss/sub of another app');
  const noJti = assertionClaims(APP, v2());
  delete noJti.jti;
  assertEntraError(await exchange(signJwt(ps256(), noJti, cert.privateKey)), { status: [400, 401] }, 'no jti');
});

test('refused: the same assertion replayed for the same request (jti seen) → 401 invalid_client with an AADSTS code', { timeout: 30_000 }, async () => {
  const a = signJwt(ps256(), assertionClaims(APP, v2()), cert.privateKey);
  const first = await exchange(a);
  assert.equal(first.status, 200, first.text);
  assertEntraError(await exchange(a), { status: 401, error: 'invalid_client' }, 'replay');
});

test('the same assertion sent five times at once is accepted exactly once', { timeout: 30_000 }, async () => {
  const a = signJwt(ps256(), assertionClaims(APP, v2()), cert.privateKey);
  const results = await Promise.all(Array.from({ length: 5 }, () => exchange(a)));
  assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(','));
  for (const r of results.filter((x) => x.status !== 200)) assertEntraError(r, { status: 401, error: 'invalid_client' }, 'concurrent replay');
});

test('the same assertion for a second resource is accepted (what msal-node does within its 10-minute reuse)', { timeout: 30_000 }, async () => {
  const a = signJwt(ps256(), assertionClaims(APP, v2()), cert.privateKey);
  assert.equal((await exchange(a)).status, 200);
  const second = await postForm(v2(), { grant_type: 'client_credentials', client_id: APP, scope: 'https://signalr.azure.com/.default', client_assertion_type: JWT_BEARER, client_assertion: a });
  assert.equal(second.status, 200, second.text);
});

test('refused: garbage assertions and a wrong client_assertion_type, each with an Entra-shaped error', { timeout: 30_000 }, async () => {
  for (const junk of ['not-a-jwt', 'a.b.c', '..', `${'x'.repeat(9000)}.y.z`, 'eyJhbGciOiJQUzI1NiJ9.e30']) {
    assertEntraError(await exchange(junk), { status: [400, 401] }, `assertion ${junk.slice(0, 20)}`);
  }
  const good = signJwt(ps256(), assertionClaims(APP, v2()), cert.privateKey);
  assertEntraError(await exchange(good, v2(), APP, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }), { status: [400, 401] }, 'wrong assertion type');
});

test('Lapis keeps serving after every refusal above', { timeout: 30_000 }, async () => {
  const res = await exchange(signJwt(ps256(), assertionClaims(APP, v2()), cert.privateKey));
  assert.equal(res.status, 200, res.text);
});
