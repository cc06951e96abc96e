// ClientSecretCredential against Lapis (seed 000/002: an app registration with a client secret).
// Every token is verified with jose against Lapis's discovery document and JWKS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import {
  FIRST_PARTY, WEBPUBSUB, WEBPUBSUB_SCOPE, assertSdkToken, assertV1AppClaims, assertV2AppClaims, peek,
  rejection, scrubAzureEnv, verifyAccessToken, within,
} from './support.ts';

const TENANT = '3f2a9c1e-7b4d-4e8a-9c6f-1d2e3f4a5b6c';
const DOMAIN = 'contoso.onmicrosoft.com';
const CHAT = { appId: '0b8e6a2c-4d1f-4a3b-8c9d-5e6f7a8b9c01', secret: 'chat-server-secret-value-0001' };
const SECOND_SECRET = 'chat-server-second-secret-0002';
const UPSTREAM_V1 = { appId: '6c1d2e3f-8a9b-4c0d-9e1f-2a3b4c5d6e02', uri: 'api://upstream-v1' };
const UPSTREAM_V2 = { appId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c03', uri: 'api://upstream-v2' };

const config = {
  tenantId: TENANT,
  domains: [DOMAIN],
  applications: [
    {
      displayName: 'chat-server',
      appId: CHAT.appId,
      passwordCredentials: [
        { displayName: 'ci', secretText: CHAT.secret, endDateTime: '2099-01-01T00:00:00Z' },
        { displayName: 'rotation', secretText: SECOND_SECRET },
      ],
    },
    { displayName: 'upstream-v1', appId: UPSTREAM_V1.appId, identifierUris: [UPSTREAM_V1.uri] },
    { displayName: 'upstream-v2', appId: UPSTREAM_V2.appId, identifierUris: [UPSTREAM_V2.uri], api: { requestedAccessTokenVersion: 2 } },
  ],
};

let lapis: TestLapis;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({ config });
});

after(async () => {
  await lapis?.stop();
});

function credential(tenant: string, secret = CHAT.secret, clientId = CHAT.appId): ClientSecretCredential {
  return new ClientSecretCredential(tenant, clientId, secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
}

test('ClientSecretCredential (GUID tenant) gets a v1 Web PubSub token that jose verifies against discovery + JWKS', { timeout: 60_000 }, async () => {
  assert.equal(lapis.ready.tenantId, TENANT, 'ready.json tenantId is the configured tenant');
  const t = await within(credential(TENANT).getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: CHAT.appId, appidacr: '1' });
  assert.equal(v.payload.aud, WEBPUBSUB, 'aud is the resource exactly as requested');
});

test('the SDK caches the token (expires_in honoured): a second getToken returns the same token', { timeout: 60_000 }, async () => {
  const cred = credential(TENANT);
  const t1 = await within(cred.getToken(WEBPUBSUB_SCOPE));
  const t2 = await within(cred.getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t1);
  assertSdkToken(t2);
  assert.equal(t2.token, t1.token);
});

test('every first-party audience gets a verifiable v1 token with aud = the resource', { timeout: 90_000 }, async () => {
  const cred = credential(TENANT);
  const oids = new Set<string>();
  const utis = new Set<string>();
  for (const resource of FIRST_PARTY) {
    const t = await within(cred.getToken(`${resource}/.default`), undefined, resource);
    assertSdkToken(t);
    const v = await verifyAccessToken(lapis.ready, t.token, { audience: [resource, `${resource}/`], ver: '1.0' });
    assertV1AppClaims(v, lapis.ready, { aud: [resource, `${resource}/`], appid: CHAT.appId, appidacr: '1' });
    oids.add(String(v.payload.oid));
    utis.add(String(v.payload.uti));
  }
  assert.equal(oids.size, 1, 'the service principal oid is stable across tokens');
  assert.equal(utis.size, FIRST_PARTY.length, 'uti is unique per token');
});

test('tenant given as verified domain, and in upper case, works (MSAL lower-cases the authority)', { timeout: 60_000 }, async () => {
  for (const tenant of [DOMAIN, DOMAIN.toUpperCase(), TENANT.toUpperCase()]) {
    const t = await within(credential(tenant).getToken('https://signalr.azure.com/.default'), undefined, tenant);
    assertSdkToken(t);
    const v = await verifyAccessToken(lapis.ready, t.token, { audience: 'https://signalr.azure.com', ver: '1.0' });
    assertV1AppClaims(v, lapis.ready, { aud: 'https://signalr.azure.com', appid: CHAT.appId, appidacr: '1' });
  }
});

test('a second secret of the same app works too (several secrets per app)', { timeout: 60_000 }, async () => {
  const t = await within(credential(TENANT, SECOND_SECRET).getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t);
  await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
});

test('an app with requestedAccessTokenVersion 2 gets v2 tokens: iss …/v2.0, aud = its appId, azp, azpacr', { timeout: 60_000 }, async () => {
  const cred = credential(TENANT);
  for (const scope of [`${UPSTREAM_V2.uri}/.default`, `${UPSTREAM_V2.appId}/.default`]) {
    const t = await within(cred.getToken(scope), undefined, scope);
    assertSdkToken(t);
    const v = await verifyAccessToken(lapis.ready, t.token, { audience: UPSTREAM_V2.appId, ver: '2.0' });
    assertV2AppClaims(v, lapis.ready, { aud: UPSTREAM_V2.appId, azp: CHAT.appId, azpacr: '1' });
  }
});

test('an app with the default token version gets v1 tokens for its Application ID URI', { timeout: 60_000 }, async () => {
  const t = await within(credential(TENANT).getToken(`${UPSTREAM_V1.uri}/.default`));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: [UPSTREAM_V1.uri, UPSTREAM_V1.appId], ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: [UPSTREAM_V1.uri, UPSTREAM_V1.appId], appid: CHAT.appId, appidacr: '1' });
});

test('jose refuses a v1 token checked with the v2 issuer, a wrong audience or a tampered payload', { timeout: 60_000 }, async () => {
  const t = await within(credential(TENANT).getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t);
  await assert.rejects(verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '2.0' }), /\(ERR_JWT_CLAIM_VALIDATION_FAILED unexpected "iss" claim value\)/);
  await assert.rejects(verifyAccessToken(lapis.ready, t.token, { audience: 'https://signalr.azure.com', ver: '1.0' }), /\(ERR_JWT_CLAIM_VALIDATION_FAILED unexpected "aud" claim value\)/);
  const [h, , s] = t.token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...peek(t.token).payload, oid: randomUUID() })).toString('base64url');
  await assert.rejects(verifyAccessToken(lapis.ready, `${h}.${forged}.${s}`, { audience: WEBPUBSUB, ver: '1.0' }), /\(ERR_JWS_SIGNATURE_VERIFICATION_FAILED /);
});

test('wrong secret surfaces as the SDK\'s normal authentication error with the AADSTS7000215 text, not a hang', { timeout: 60_000 }, async () => {
  const err = await rejection(credential(TENANT, 'definitely-not-the-secret-000').getToken(WEBPUBSUB_SCOPE));
  assert.ok(['AuthenticationError', 'AuthenticationRequiredError'].includes(err.name), `error type ${err.name}: ${err.message}`);
  assert.match(err.message, /AADSTS7000215/);
  assert.match(err.message, /invalid_client/);
});

test('unknown client id surfaces AADSTS700016 through the SDK', { timeout: 60_000 }, async () => {
  const err = await rejection(credential(TENANT, CHAT.secret, randomUUID()).getToken(WEBPUBSUB_SCOPE));
  assert.ok(['AuthenticationError', 'AuthenticationRequiredError'].includes(err.name), `error type ${err.name}: ${err.message}`);
  assert.match(err.message, /AADSTS700016/);
});

test('unknown tenant fails fast in the SDK (endpoints_resolution_error from the 400 OIDC answer), not a hang', { timeout: 60_000 }, async () => {
  const err = await rejection(credential(randomUUID()).getToken(WEBPUBSUB_SCOPE));
  assert.match(`${err.name} ${err.message}`, /CredentialUnavailableError|endpoints_resolution_error|AADSTS90002/);
});

test('Lapis keeps serving after the failures above', { timeout: 60_000 }, async () => {
  const t = await within(credential(TENANT).getToken('https://vault.azure.net/.default'));
  assertSdkToken(t);
  await verifyAccessToken(lapis.ready, t.token, { audience: ['https://vault.azure.net', 'https://vault.azure.net/'], ver: '1.0' });
});
