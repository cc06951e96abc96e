// The hand-made v1 request of seed 000 (POST /{tenant}/oauth2/token with resource=), the raw v2
// request, OpenID discovery (v1, v2, adfs, common/organizations) and the JWKS documents.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import {
  FORM, WEBPUBSUB, WEBPUBSUB_SCOPE, assertEntraError, assertV1AppClaims, discovery, getJson, host, peek, postForm,
  rawRequest, scrubAzureEnv, verifyAccessToken,
} from './support.ts';

const TENANT = 'e4f5a6b7-c8d9-4e0f-8a1b-2c3d4e5f6a61';
const DOMAIN = 'tailspin.onmicrosoft.com';
const APP = { appId: 'f5a6b7c8-d9e0-4f1a-9b2c-3d4e5f6a7b62', secret: 'postman-style-secret-value-62' };

let lapis: TestLapis;
let H: string;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      domains: [DOMAIN],
      applications: [{ displayName: 'postman-app', appId: APP.appId, passwordCredentials: [{ displayName: 'postman', secretText: APP.secret }] }],
    },
  });
  H = host(lapis.ready);
});

after(async () => {
  await lapis?.stop();
});

const v1Fields = (over: Record<string, string> = {}) => ({ grant_type: 'client_credentials', client_id: APP.appId, client_secret: APP.secret, resource: WEBPUBSUB, ...over });

test('seed 000: POST /{tenant}/oauth2/token with resource= returns a v1 token (string fields) that jose verifies', { timeout: 30_000 }, async () => {
  const res = await postForm(`${H}/${TENANT}/oauth2/token`, v1Fields());
  assert.equal(res.status, 200, res.text);
  const body = res.json;
  assert.equal(body.token_type, 'Bearer');
  for (const f of ['expires_in', 'ext_expires_in', 'expires_on', 'not_before']) {
    assert.match(String(body[f]), /^\d+$/, `${f} is a number as a string: ${body[f]}`);
    assert.equal(typeof body[f], 'string', `v1 answers ${f} as a string`);
  }
  assert.equal(body.resource, WEBPUBSUB);
  const now = Date.now() / 1000;
  assert.ok(Math.abs(Number(body.expires_on) - (now + Number(body.expires_in))) < 30, 'expires_on ≈ now + expires_in');
  assert.match(String(res.headers['cache-control']), /no-store/, 'token responses must not be cached (RFC 6749 §5.1)');
  const v = await verifyAccessToken(lapis.ready, body.access_token, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: APP.appId, appidacr: '1' });
  assert.equal(Number(body.expires_on), v.payload.exp, 'expires_on equals the token exp');
});

test('v1 request by domain tenant, any casing, and for SignalR', { timeout: 30_000 }, async () => {
  for (const [tenant, resource] of [[DOMAIN, WEBPUBSUB], [DOMAIN.toUpperCase(), 'https://signalr.azure.com'], [TENANT.toUpperCase(), 'https://signalr.azure.com']] as const) {
    const res = await postForm(`${H}/${tenant}/oauth2/token`, v1Fields({ resource }));
    assert.equal(res.status, 200, `${tenant}: ${res.text}`);
    await verifyAccessToken(lapis.ready, res.json.access_token, { audience: resource, ver: '1.0' });
  }
});

test('client_secret_basic, which the discovery document advertises, works: credentials in an HTTP Basic header', { timeout: 30_000 }, async () => {
  const doc = await discovery(lapis.ready, TENANT, '2.0');
  const advertised = doc.token_endpoint_auth_methods_supported;
  if (Array.isArray(advertised)) assert.ok(advertised.includes('client_secret_basic') || advertised.includes('client_secret_post'));
  // RFC 6749 §2.3.1: the server MUST support Basic for clients issued a password; Entra does.
  const basic = Buffer.from(`${encodeURIComponent(APP.appId)}:${encodeURIComponent(APP.secret)}`).toString('base64');
  const res = await postForm(`${H}/${TENANT}/oauth2/token`, { grant_type: 'client_credentials', resource: WEBPUBSUB }, { authorization: `Basic ${basic}` });
  assert.equal(res.status, 200, res.text);
  await verifyAccessToken(lapis.ready, res.json.access_token, { audience: WEBPUBSUB, ver: '1.0' });
  const wrong = Buffer.from(`${APP.appId}:not-the-secret-at-all-000`).toString('base64');
  assertEntraError(await postForm(`${H}/${TENANT}/oauth2/v2.0/token`, { grant_type: 'client_credentials', scope: WEBPUBSUB_SCOPE }, { authorization: `Basic ${wrong}` }), { status: 401, error: 'invalid_client', code: 7000215 }, 'wrong Basic secret');
});

test('seed 000 literally says GET: a GET to the token endpoint gets Entra\'s answer, 400 invalid_request AADSTS900561', { timeout: 30_000 }, async () => {
  for (const path of [`/${TENANT}/oauth2/token`, `/${TENANT}/oauth2/v2.0/token`]) {
    const res = await rawRequest(new URL(H).origin, path, { method: 'GET', headers: { 'content-type': FORM }, body: new URLSearchParams(v1Fields()).toString(), timeoutMs: 10_000 });
    assertEntraError(res, { status: [400, 405], error: 'invalid_request', code: 900561 }, `GET ${path}`);
  }
});

test('raw v2 request: numbers for expires_in, no scope echo other than the .default', { timeout: 30_000 }, async () => {
  const res = await postForm(`${H}/${TENANT}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: APP.appId, client_secret: APP.secret, scope: WEBPUBSUB_SCOPE });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.token_type, 'Bearer');
  assert.equal(typeof res.json.expires_in, 'number');
  assert.ok(res.json.expires_in > 600 && res.json.expires_in <= 86400);
  if (res.json.scope !== undefined) assert.equal(res.json.scope, WEBPUBSUB_SCOPE);
  assert.match(String(res.headers['cache-control']), /no-store/);
  // A v1-format token even from the v2 endpoint: the resource decides the format (reference §2.2).
  assert.equal(peek(res.json.access_token).payload.ver, '1.0');
  await verifyAccessToken(lapis.ready, res.json.access_token, { audience: WEBPUBSUB, ver: '1.0' });
});

test('v2 discovery document: issuer, endpoints and jwks_uri on the authority host, for GUID, domain and any casing', { timeout: 30_000 }, async () => {
  for (const tenant of [TENANT, DOMAIN, DOMAIN.toUpperCase(), TENANT.toUpperCase()]) {
    const doc = await discovery(lapis.ready, tenant, '2.0');
    assert.equal(doc.issuer, `${H}/${TENANT}/v2.0`, `${tenant}: issuer names the tenant GUID`);
    assert.ok(doc.token_endpoint.startsWith(`${H}/`), `${tenant}: token_endpoint on the authority host`);
    assert.match(doc.token_endpoint, /\/oauth2\/v2\.0\/token$/);
    assert.match(doc.authorization_endpoint, /\/oauth2\/v2\.0\/authorize$/);
    assert.ok(doc.jwks_uri.startsWith(`${H}/`), `${tenant}: jwks_uri on the authority host`);
  }
});

test('v1 discovery document: issuer ends in "/{tid}/", token_endpoint is /oauth2/token', { timeout: 30_000 }, async () => {
  for (const tenant of [TENANT, DOMAIN]) {
    const doc = await discovery(lapis.ready, tenant, '1.0');
    assert.equal(doc.issuer, `${H}/${TENANT}/`);
    assert.ok(doc.token_endpoint.startsWith(`${H}/`));
    assert.match(doc.token_endpoint, /\/oauth2\/token$/);
    assert.ok(doc.jwks_uri.startsWith(`${H}/`));
  }
});

test('adfs discovery document at /adfs/.well-known/openid-configuration has the four fields MSAL needs', { timeout: 30_000 }, async () => {
  const res = await getJson(`${H}/adfs/.well-known/openid-configuration`);
  assert.equal(res.status, 200, res.text);
  for (const f of ['issuer', 'token_endpoint', 'authorization_endpoint', 'jwks_uri']) {
    assert.equal(typeof res.json[f], 'string', f);
    assert.ok(String(res.json[f]).startsWith(`${H}/`), `${f} on the authority host (MSAL validateIssuer)`);
  }
  // The tokens the adfs path leads to are the default tenant's v1 tokens: the document names their issuer.
  const v1 = await getJson(`${H}/${TENANT}/.well-known/openid-configuration`);
  assert.equal(res.json.issuer, v1.json.issuer);
});

test('common and organizations v2 documents use the {tenantid} issuer template', { timeout: 30_000 }, async () => {
  for (const tenant of ['common', 'organizations']) {
    const res = await getJson(`${H}/${tenant}/v2.0/.well-known/openid-configuration`);
    assert.equal(res.status, 200, `${tenant}: ${res.text}`);
    assert.equal(res.json.issuer, `${H}/{tenantid}/v2.0`);
  }
});

test('JWKS: /discovery/keys and /discovery/v2.0/keys publish public RSA signing keys only, including the token kid', { timeout: 30_000 }, async () => {
  const token = (await postForm(`${H}/${TENANT}/oauth2/token`, v1Fields())).json.access_token as string;
  const kid = peek(token).header.kid;
  for (const path of [`/${TENANT}/discovery/keys`, `/${TENANT}/discovery/v2.0/keys`, `/${DOMAIN}/discovery/v2.0/keys`]) {
    const res = await getJson(`${H}${path}`);
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    assert.match(String(res.headers['content-type']), /application\/json/);
    const keys = res.json.keys as Record<string, unknown>[];
    assert.ok(Array.isArray(keys) && keys.length >= 1, `${path}: keys`);
    for (const k of keys) {
      assert.equal(k.kty, 'RSA');
      assert.equal(k.use, 'sig');
      assert.equal(typeof k.kid, 'string');
      assert.equal(typeof k.n, 'string');
      assert.equal(k.e, 'AQAB');
      assert.ok(Buffer.from(String(k.n), 'base64url').length >= 256, 'RSA modulus of at least 2048 bits');
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[priv], undefined, `${path}: private member ${priv} must never be published`);
    }
    assert.ok(keys.some((k) => k.kid === kid), `${path}: the signing kid ${String(kid)} is published`);
  }
});

test('instance discovery at /common/discovery/instance answers the CloudInstanceDiscoveryResponse shape for the local host', { timeout: 30_000 }, async () => {
  const authorize = `${H}/${TENANT}/oauth2/v2.0/authorize`;
  const res = await getJson(`${H}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorize)}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(typeof res.json.tenant_discovery_endpoint, 'string');
  assert.ok(res.json.tenant_discovery_endpoint.startsWith(`${H}/`));
  const hostPort = new URL(H).host;
  assert.ok(Array.isArray(res.json.metadata) && res.json.metadata.length > 0, 'metadata');
  const entry = res.json.metadata.find((m: { aliases?: string[] }) => m.aliases?.includes(hostPort));
  assert.ok(entry, `metadata lists ${hostPort} as an alias: ${JSON.stringify(res.json.metadata)}`);
  assert.equal(entry.preferred_network, hostPort);
});

test('the plain-HTTP listener serves no token endpoint: a secret posted there gets no token', { timeout: 30_000 }, async () => {
  const plain = lapis.ready.httpUrl.replace(/\/+$/, '');
  assert.match(plain, /^http:/);
  for (const path of [`/${TENANT}/oauth2/token`, `/${TENANT}/oauth2/v2.0/token`]) {
    const res = await postForm(`${plain}${path}`, { ...v1Fields(), scope: WEBPUBSUB_SCOPE });
    assert.ok(res.status >= 400 && res.status < 500, `${path} over plain HTTP: ${res.status}`);
    assert.equal(res.json?.access_token, undefined, `${path} over plain HTTP must not issue tokens`);
  }
});

test('unknown tenant: OIDC documents answer 400 invalid_tenant AADSTS90002', { timeout: 30_000 }, async () => {
  for (const path of ['/11111111-2222-4333-8444-555555555555/v2.0/.well-known/openid-configuration', '/nosuch.onmicrosoft.com/v2.0/.well-known/openid-configuration', '/11111111-2222-4333-8444-555555555555/.well-known/openid-configuration']) {
    assertEntraError(await getJson(`${H}${path}`), { status: 400, error: 'invalid_tenant', code: 90002 }, path);
  }
});
