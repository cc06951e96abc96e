// ManagedIdentityCredential through the App Service protocol (IDENTITY_ENDPOINT + IDENTITY_HEADER,
// reference §4.1 priority 2). msal-node caches the detected MI source per process, so the IMDS
// variant lives in its own file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import {
  GUID_RE, WEBPUBSUB, WEBPUBSUB_SCOPE, assertSdkToken, assertV1AppClaims, assertV2AppClaims, getJson, rejection, scrubAzureEnv,
  verifyAccessToken, within,
} from './support.ts';

const TENANT = '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f41';
const SUBSCRIPTION = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a42';
const UAMI = { name: 'uami-chat', resourceGroup: 'rg-chat', clientId: '6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b43', principalId: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c44' };
const UAMI2 = { name: 'uami-other', resourceGroup: 'rg-chat', clientId: '8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d45', principalId: '9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e46' };
const UPSTREAM_V1 = { appId: 'ad0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f47', uri: 'api://mi-upstream-v1' };
const UPSTREAM_V2 = { appId: 'be1f2a3b-4c5d-4e6f-9a7b-8c9d0e1f2a48', uri: 'api://mi-upstream-v2' };
const uamiResourceId = (u: typeof UAMI) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/${u.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${u.name}`;

let lapis: TestLapis;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      subscriptionId: SUBSCRIPTION,
      userAssignedIdentities: [UAMI, UAMI2],
      applications: [
        { displayName: 'mi-upstream-v1', appId: UPSTREAM_V1.appId, identifierUris: [UPSTREAM_V1.uri] },
        { displayName: 'mi-upstream-v2', appId: UPSTREAM_V2.appId, identifierUris: [UPSTREAM_V2.uri], api: { requestedAccessTokenVersion: 2 } },
      ],
      resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat-mi', resourceGroup: 'rg-chat', identity: { type: 'SystemAssigned' } }],
    },
  });
  // What App Service sets for the application; Lapis's ready.json gives both values.
  process.env.IDENTITY_ENDPOINT = lapis.ready.managedIdentity.identityEndpoint;
  process.env.IDENTITY_HEADER = lapis.ready.managedIdentity.identityHeader;
});

after(async () => {
  scrubAzureEnv();
  await lapis?.stop();
});

function sameId(actual: unknown, expected: string, what: string): void {
  assert.equal(String(actual).toLowerCase(), expected.toLowerCase(), what);
}

test('ready.json describes the host\'s system-assigned identity', () => {
  const mi = lapis.ready.managedIdentity;
  assert.match(mi.identityEndpoint, /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//);
  assert.ok(mi.identityHeader.length >= 16, 'identity header is a secret of reasonable length');
  assert.match(mi.systemAssigned.clientId, GUID_RE);
  assert.match(mi.systemAssigned.objectId, GUID_RE);
});

test('ready.json, which holds the identity header, is readable by its owner only', () => {
  const mode = statSync(join(lapis.dataDir, 'ready.json')).mode;
  assert.equal(mode & 0o077, 0, `ready.json mode ${(mode & 0o777).toString(8)}`);
});

test('system-assigned: ManagedIdentityCredential() gets a v1 token: appid = MI client id, oid = MI object id, appidacr "2"', { timeout: 90_000 }, async () => {
  const cred = new ManagedIdentityCredential();
  const t = await within(cred.getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t);
  const mi = lapis.ready.managedIdentity.systemAssigned;
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: mi.clientId, appidacr: '2', oid: mi.objectId });
  assert.equal(typeof v.payload.xms_mirid, 'string', 'xms_mirid names the identity resource');
  assert.match(String(v.payload.xms_mirid), /^\/subscriptions\//i);
});

test('user-assigned by clientId: appid = its clientId, oid = its principalId, xms_mirid = its resource id', { timeout: 90_000 }, async () => {
  const cred = new ManagedIdentityCredential({ clientId: UAMI.clientId });
  const t = await within(cred.getToken('https://signalr.azure.com/.default'));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: 'https://signalr.azure.com', ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: 'https://signalr.azure.com', appid: UAMI.clientId, appidacr: '2', oid: UAMI.principalId });
  sameId(v.payload.xms_mirid, uamiResourceId(UAMI), 'xms_mirid');
});

test('user-assigned by objectId and by resourceId select the right identity', { timeout: 90_000 }, async () => {
  const byObject = await within(new ManagedIdentityCredential({ objectId: UAMI2.principalId }).getToken(WEBPUBSUB_SCOPE), undefined, 'objectId');
  assertSdkToken(byObject);
  const v1 = await verifyAccessToken(lapis.ready, byObject.token, { audience: WEBPUBSUB, ver: '1.0' });
  assert.equal(v1.payload.oid, UAMI2.principalId);
  assert.equal(v1.payload.appid, UAMI2.clientId);

  const byResource = await within(new ManagedIdentityCredential({ resourceId: uamiResourceId(UAMI) }).getToken(WEBPUBSUB_SCOPE), undefined, 'resourceId');
  assertSdkToken(byResource);
  const v2 = await verifyAccessToken(lapis.ready, byResource.token, { audience: WEBPUBSUB, ver: '1.0' });
  assert.equal(v2.payload.oid, UAMI.principalId);
  assert.equal(v2.payload.appid, UAMI.clientId);
});

test('managed-identity tokens for registered apps (what an upstream event handler receives): v1 by App ID URI, v2 = appId', { timeout: 90_000 }, async () => {
  const cred = new ManagedIdentityCredential({ clientId: UAMI.clientId });
  const t1 = await within(cred.getToken(`${UPSTREAM_V1.uri}/.default`), undefined, 'v1 app');
  assertSdkToken(t1);
  const v1 = await verifyAccessToken(lapis.ready, t1.token, { audience: UPSTREAM_V1.uri, ver: '1.0' });
  assertV1AppClaims(v1, lapis.ready, { aud: UPSTREAM_V1.uri, appid: UAMI.clientId, appidacr: '2', oid: UAMI.principalId });
  const t2 = await within(cred.getToken(`${UPSTREAM_V2.uri}/.default`), undefined, 'v2 app');
  assertSdkToken(t2);
  const v2 = await verifyAccessToken(lapis.ready, t2.token, { audience: UPSTREAM_V2.appId, ver: '2.0' });
  assertV2AppClaims(v2, lapis.ready, { aud: UPSTREAM_V2.appId, azp: UAMI.clientId, azpacr: '2' });
  assert.equal(v2.payload.oid, UAMI.principalId);
});

test('DefaultAzureCredential picks up the App Service identity from the environment alone', { timeout: 90_000 }, async () => {
  const cred = new DefaultAzureCredential();
  const t = await within(cred.getToken('https://vault.azure.net/.default'));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: ['https://vault.azure.net', 'https://vault.azure.net/'], ver: '1.0' });
  assert.equal(v.payload.oid, lapis.ready.managedIdentity.systemAssigned.objectId);
});

test('raw App Service request (api-version 2019-08-01) answers the documented shape with expires_on', { timeout: 30_000 }, async () => {
  const { identityEndpoint, identityHeader } = lapis.ready.managedIdentity;
  const url = new URL(identityEndpoint);
  url.searchParams.set('api-version', '2019-08-01');
  url.searchParams.set('resource', WEBPUBSUB);
  url.searchParams.set('client_id', UAMI.clientId);
  const res = await getJson(url.toString(), { 'X-IDENTITY-HEADER': identityHeader });
  assert.equal(res.status, 200, res.text);
  assert.equal(typeof res.json.access_token, 'string');
  assert.equal(res.json.token_type, 'Bearer');
  assert.equal(res.json.resource, WEBPUBSUB);
  assert.equal(res.json.client_id, UAMI.clientId);
  const expiresOn = Number(res.json.expires_on);
  assert.ok(Number.isInteger(expiresOn), `expires_on is epoch seconds: ${res.json.expires_on}`);
  assert.ok(expiresOn > Date.now() / 1000 + 600, 'expires_on in the future');
});

test('App Service endpoint refuses a missing or wrong X-IDENTITY-HEADER, unknown identities and unknown resources', { timeout: 30_000 }, async () => {
  const { identityEndpoint, identityHeader } = lapis.ready.managedIdentity;
  const make = (extra: Record<string, string> = {}) => {
    const url = new URL(identityEndpoint);
    url.searchParams.set('api-version', '2019-08-01');
    url.searchParams.set('resource', WEBPUBSUB);
    for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
    return url.toString();
  };
  const cases: [string, Promise<{ status: number; json: any; text: string }>][] = [
    ['no header', getJson(make())],
    ['wrong header', getJson(make(), { 'X-IDENTITY-HEADER': `${identityHeader}x` })],
    ['unknown client_id', getJson(make({ client_id: randomUUID() }), { 'X-IDENTITY-HEADER': identityHeader })],
    ['unknown resource', getJson(make({ resource: 'https://not-a-resource.example' }), { 'X-IDENTITY-HEADER': identityHeader })],
    ['no resource', getJson(make({ resource: '' }), { 'X-IDENTITY-HEADER': identityHeader })],
  ];
  for (const [what, p] of cases) {
    const res = await p;
    assert.ok(res.status >= 400 && res.status < 500, `${what}: expected 4xx, got ${res.status} ${res.text.slice(0, 200)}`);
    assert.ok(res.json && typeof res.json === 'object', `${what}: JSON error body`);
    assert.equal(res.json.access_token, undefined, `${what}: no token`);
    assert.ok(res.json.error !== undefined || res.json.message !== undefined, `${what}: names the error`);
  }
});

test('the SDK surfaces an unknown user-assigned client id as an error, not a hang', { timeout: 90_000 }, async () => {
  const err = await rejection(new ManagedIdentityCredential({ clientId: randomUUID() }).getToken(WEBPUBSUB_SCOPE));
  assert.match(`${err.name} ${err.message}`, /ManagedIdentityCredential|CredentialUnavailable|AuthenticationError/);
});
