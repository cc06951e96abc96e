// More tenants than the default one, declared in the config (`tenants[]`, apps with `tenantId`):
// each tenant has its own discovery documents, issuer and app registrations, and an app of one
// tenant is unknown in another (AADSTS700016), as in Entra.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import {
  WEBPUBSUB, WEBPUBSUB_SCOPE, assertEntraError, assertSdkToken, assertV1AppClaims, discovery, host, postForm, rejection,
  scrubAzureEnv, verifyAccessToken, within,
} from './support.ts';

const HOME = { tenantId: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4db1', domain: 'home.onmicrosoft.com' };
const SECOND = { tenantId: '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5eb2', domain: 'second.onmicrosoft.com' };
const HOME_APP = { appId: '3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5fb3', secret: 'home-tenant-app-secret-b3' };
const SECOND_APP = { appId: '4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6ab4', secret: 'second-tenant-app-secret-b4' };

let lapis: TestLapis;
let H: string;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: {
      tenantId: HOME.tenantId,
      domains: [HOME.domain],
      tenants: [{ tenantId: SECOND.tenantId, displayName: 'Second', domains: [SECOND.domain] }],
      applications: [
        { displayName: 'home-app', appId: HOME_APP.appId, passwordCredentials: [{ secretText: HOME_APP.secret }] },
        { displayName: 'second-app', appId: SECOND_APP.appId, tenantId: SECOND.tenantId, passwordCredentials: [{ secretText: SECOND_APP.secret }] },
      ],
    },
  });
  H = host(lapis.ready);
});

after(async () => {
  await lapis?.stop();
});

const secondReady = () => ({ authorityHost: lapis.ready.authorityHost, tenantId: SECOND.tenantId });

test('the second tenant serves its own discovery documents (by GUID and by domain)', { timeout: 30_000 }, async () => {
  for (const t of [SECOND.tenantId, SECOND.domain]) {
    const v2 = await discovery(lapis.ready, t, '2.0');
    assert.equal(v2.issuer, `${H}/${SECOND.tenantId}/v2.0`);
    const v1 = await discovery(lapis.ready, t, '1.0');
    assert.equal(v1.issuer, `${H}/${SECOND.tenantId}/`);
  }
});

test('an app of the second tenant gets tokens there: tid and iss name the second tenant', { timeout: 60_000 }, async () => {
  const cred = new ClientSecretCredential(SECOND.domain, SECOND_APP.appId, SECOND_APP.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
  const t = await within(cred.getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t);
  const v = await verifyAccessToken(secondReady(), t.token, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, secondReady(), { aud: WEBPUBSUB, appid: SECOND_APP.appId, appidacr: '1' });
});

test('a token of one tenant does not verify with the other tenant\'s issuer', { timeout: 30_000 }, async () => {
  const res = await postForm(`${H}/${HOME.tenantId}/oauth2/token`, { grant_type: 'client_credentials', client_id: HOME_APP.appId, client_secret: HOME_APP.secret, resource: WEBPUBSUB });
  assert.equal(res.status, 200, res.text);
  await assert.rejects(verifyAccessToken(secondReady(), res.json.access_token, { audience: WEBPUBSUB, ver: '1.0', tenant: SECOND.tenantId }), /\(ERR_JWT_CLAIM_VALIDATION_FAILED unexpected "iss" claim value\)/);
});

test('an app is unknown outside its tenant → 400 unauthorized_client AADSTS700016 (both directions)', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(`${H}/${HOME.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: SECOND_APP.appId, client_secret: SECOND_APP.secret, scope: WEBPUBSUB_SCOPE }), { status: 400, error: 'unauthorized_client', code: 700016 }, 'second app at home');
  assertEntraError(await postForm(`${H}/${SECOND.domain}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: HOME_APP.appId, client_secret: HOME_APP.secret, scope: WEBPUBSUB_SCOPE }), { status: 400, error: 'unauthorized_client', code: 700016 }, 'home app in second');
  const err = await rejection(new ClientSecretCredential(SECOND.tenantId, HOME_APP.appId, HOME_APP.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true }).getToken(WEBPUBSUB_SCOPE));
  assert.match(err.message, /AADSTS700016/);
});
