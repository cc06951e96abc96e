// ManagedIdentityCredential through IMDS, redirected to Lapis with AZURE_POD_IDENTITY_AUTHORITY_HOST
// (reference §4.1 priority 6, §4.3). Separate file: msal-node caches the MI source per process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import {
  WEBPUBSUB, WEBPUBSUB_SCOPE, assertSdkToken, assertV1AppClaims, getJson, scrubAzureEnv, verifyAccessToken, withEnv,
  within,
} from './support.ts';

const TENANT = 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c51';
const SUBSCRIPTION = 'b1c2d3e4-f5a6-4b7c-9d8e-0f1a2b3c4d52';
const UAMI = { name: 'uami-imds', resourceGroup: 'rg-imds', clientId: 'c2d3e4f5-a6b7-4c8d-8e9f-0a1b2c3d4e53', principalId: 'd3e4f5a6-b7c8-4d9e-9f0a-1b2c3d4e5f54' };

let lapis: TestLapis;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({ config: { tenantId: TENANT, subscriptionId: SUBSCRIPTION, userAssignedIdentities: [UAMI] } });
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = lapis.ready.managedIdentity.imdsEndpoint;
});

after(async () => {
  scrubAzureEnv();
  await lapis?.stop();
});

const imdsUrl = (path = '/metadata/identity/oauth2/token') => `${lapis.ready.managedIdentity.imdsEndpoint.replace(/\/+$/, '')}${path}`;

test('system-assigned over IMDS: token for the host identity', { timeout: 90_000 }, async () => {
  const t = await within(new ManagedIdentityCredential().getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t);
  const mi = lapis.ready.managedIdentity.systemAssigned;
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: mi.clientId, appidacr: '2', oid: mi.objectId });
});

test('user-assigned by clientId over IMDS', { timeout: 90_000 }, async () => {
  const t = await within(new ManagedIdentityCredential(UAMI.clientId).getToken('https://signalr.azure.com/.default'));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: 'https://signalr.azure.com', ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: 'https://signalr.azure.com', appid: UAMI.clientId, appidacr: '2', oid: UAMI.principalId });
  assert.equal(String(v.payload.xms_mirid).toLowerCase(),
    `/subscriptions/${SUBSCRIPTION}/resourcegroups/${UAMI.resourceGroup}/providers/microsoft.managedidentity/userassignedidentities/${UAMI.name}`.toLowerCase());
});

test('user-assigned by resourceId (msi_res_id) and objectId over IMDS', { timeout: 90_000 }, async () => {
  const resourceId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${UAMI.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${UAMI.name}`;
  for (const cred of [new ManagedIdentityCredential({ resourceId }), new ManagedIdentityCredential({ objectId: UAMI.principalId })]) {
    const t = await within(cred.getToken(WEBPUBSUB_SCOPE));
    assertSdkToken(t);
    const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
    assert.equal(v.payload.oid, UAMI.principalId);
    assert.equal(v.payload.appid, UAMI.clientId);
  }
});

test('DefaultAzureCredential with only AZURE_CLIENT_ID set uses that user-assigned identity over IMDS', { timeout: 90_000 }, async () => {
  const t = await withEnv({ AZURE_CLIENT_ID: UAMI.clientId }, () => within(new DefaultAzureCredential().getToken(WEBPUBSUB_SCOPE)));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
  assert.equal(v.payload.oid, UAMI.principalId);
});

test('raw IMDS request: the documented IMDS shape (strings) at /token and /token/', { timeout: 30_000 }, async () => {
  for (const path of ['/metadata/identity/oauth2/token', '/metadata/identity/oauth2/token/']) {
    const res = await getJson(`${imdsUrl(path)}?api-version=2018-02-01&resource=${encodeURIComponent(WEBPUBSUB)}`, { Metadata: 'true' });
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    assert.equal(typeof res.json.access_token, 'string');
    assert.equal(res.json.token_type, 'Bearer');
    assert.equal(res.json.resource, WEBPUBSUB);
    assert.equal(res.json.client_id, lapis.ready.managedIdentity.systemAssigned.clientId);
    assert.match(String(res.json.expires_on), /^\d+$/);
    assert.ok(Number(res.json.expires_on) > Date.now() / 1000 + 600);
  }
});

test('raw IMDS request without Metadata: true → 400 invalid_request; unknown identity → 4xx, no token', { timeout: 30_000 }, async () => {
  const q = `?api-version=2018-02-01&resource=${encodeURIComponent(WEBPUBSUB)}`;
  const noHeader = await getJson(`${imdsUrl()}${q}`);
  assert.equal(noHeader.status, 400, noHeader.text);
  assert.equal(noHeader.json?.error, 'invalid_request');
  assert.equal(noHeader.json?.access_token, undefined);

  const wrongHeader = await getJson(`${imdsUrl()}${q}`, { Metadata: 'false' });
  assert.equal(wrongHeader.status, 400, wrongHeader.text);
  assert.equal(wrongHeader.json?.access_token, undefined);

  const unknown = await getJson(`${imdsUrl()}${q}&client_id=00000000-0000-4000-8000-000000000000`, { Metadata: 'true' });
  assert.ok(unknown.status >= 400 && unknown.status < 500, `unknown client_id: ${unknown.status} ${unknown.text}`);
  assert.equal(unknown.json?.access_token, undefined);
});

test('raw IMDS request carrying X-Forwarded-For is refused, as Azure IMDS does (SSRF guard for proxied requests)', { timeout: 30_000 }, async () => {
  // Azure IMDS documentation: requests "must contain the header Metadata: true" and "must not
  // contain an X-Forwarded-For header"; any request that does not meet both is rejected.
  const q = `?api-version=2018-02-01&resource=${encodeURIComponent(WEBPUBSUB)}`;
  const proxied = await getJson(`${imdsUrl()}${q}`, { Metadata: 'true', 'X-Forwarded-For': '203.0.113.9' });
  assert.equal(proxied.status, 400, `X-Forwarded-For must be refused: ${proxied.status} ${proxied.text.slice(0, 100)}`);
  assert.equal(proxied.json?.access_token, undefined);
});
