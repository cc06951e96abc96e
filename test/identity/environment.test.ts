// EnvironmentCredential and DefaultAzureCredential configured by AZURE_* variables, as seed 002's
// "configure your app" table says (secret, certificate path, username/password). Instance
// discovery is avoided two ways (reference §1.7/§1.8): `AZURE_TENANT_ID=adfs` with no code option
// at all, or a GUID tenant with `disableInstanceDiscovery: true` in code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultAzureCredential, EnvironmentCredential } from '@azure/identity';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import { createChainedClientCert, createClientCert, removeCertFiles } from '../helpers/certs.ts';
import type { ClientCert } from '../helpers/certs.ts';
import {
  WEBPUBSUB, WEBPUBSUB_SCOPE, assertSdkToken, assertV1AppClaims, peek, rejection, scrubAzureEnv, verifyAccessToken,
  withEnv, within,
} from './support.ts';

const TENANT = '8e7d6c5b-4a3f-4e2d-9c1b-0a9f8e7d6c21';
const DOMAIN = 'northwind.onmicrosoft.com';
const SECRET_APP = { appId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c22', secret: 'env-secret-app-secret-value-22' };
const CERT_APP = 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d23';
const CHAIN_APP = 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e24';
const PUBLIC_APP = 'd4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f25';
const USER = { userPrincipalName: `dev@${DOMAIN}`, password: 'Env-user-password-25!', id: 'e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a26' };

let lapis: TestLapis;
let cert: ClientCert;
let chained: ClientCert;

before(async () => {
  scrubAzureEnv();
  [cert, chained] = await Promise.all([createClientCert('env-cert-app'), createChainedClientCert('env-chain-app')]);
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      domains: [DOMAIN],
      applications: [
        { displayName: 'env-secret-app', appId: SECRET_APP.appId, passwordCredentials: [{ displayName: 'ci', secretText: SECRET_APP.secret }] },
        { displayName: 'env-cert-app', appId: CERT_APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: cert.certPem }] },
        { displayName: 'env-chain-app', appId: CHAIN_APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: chained.certPem }] },
        { displayName: 'env-cli', appId: PUBLIC_APP, isFallbackPublicClient: true },
      ],
      users: [USER],
    },
  });
});

after(async () => {
  await lapis?.stop();
  removeCertFiles();
});

const base = () => ({ AZURE_AUTHORITY_HOST: lapis.ready.authorityHost });

async function checkAppToken(token: string, appid: string, appidacr: '1' | '2'): Promise<void> {
  const v = await verifyAccessToken(lapis.ready, token, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid, appidacr });
}

test('EnvironmentCredential, client secret (GUID tenant, disableInstanceDiscovery)', { timeout: 60_000 }, async () => {
  const t = await withEnv({ ...base(), AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: SECRET_APP.appId, AZURE_CLIENT_SECRET: SECRET_APP.secret }, async () => {
    const cred = new EnvironmentCredential({ disableInstanceDiscovery: true });
    return within(cred.getToken(WEBPUBSUB_SCOPE));
  });
  assertSdkToken(t);
  await checkAppToken(t.token, SECRET_APP.appId, '1');
});

test('EnvironmentCredential, client secret, AZURE_TENANT_ID=adfs and no code option at all', { timeout: 60_000 }, async () => {
  const t = await withEnv({ ...base(), AZURE_TENANT_ID: 'adfs', AZURE_CLIENT_ID: SECRET_APP.appId, AZURE_CLIENT_SECRET: SECRET_APP.secret }, async () => {
    const cred = new EnvironmentCredential();
    return within(cred.getToken(WEBPUBSUB_SCOPE));
  });
  assertSdkToken(t);
  await checkAppToken(t.token, SECRET_APP.appId, '1');
});

test('EnvironmentCredential, AZURE_CLIENT_CERTIFICATE_PATH (PEM with key)', { timeout: 60_000 }, async () => {
  const t = await withEnv({ ...base(), AZURE_TENANT_ID: DOMAIN, AZURE_CLIENT_ID: CERT_APP, AZURE_CLIENT_CERTIFICATE_PATH: cert.pemPath }, async () => {
    const cred = new EnvironmentCredential({ disableInstanceDiscovery: true });
    return within(cred.getToken(WEBPUBSUB_SCOPE));
  });
  assertSdkToken(t);
  await checkAppToken(t.token, CERT_APP, '2');
});

test('EnvironmentCredential, certificate path + AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true', { timeout: 60_000 }, async () => {
  const t = await withEnv({ ...base(), AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CHAIN_APP, AZURE_CLIENT_CERTIFICATE_PATH: chained.pemPath, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: 'true' }, async () => {
    const cred = new EnvironmentCredential({ disableInstanceDiscovery: true });
    return within(cred.getToken(WEBPUBSUB_SCOPE));
  });
  assertSdkToken(t);
  await checkAppToken(t.token, CHAIN_APP, '2');
});

test('EnvironmentCredential, AZURE_USERNAME + AZURE_PASSWORD gets a user token', { timeout: 60_000 }, async () => {
  const t = await withEnv({ ...base(), AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: PUBLIC_APP, AZURE_USERNAME: USER.userPrincipalName, AZURE_PASSWORD: USER.password }, async () => {
    const cred = new EnvironmentCredential({ disableInstanceDiscovery: true });
    return within(cred.getToken(WEBPUBSUB_SCOPE));
  });
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
  assert.equal(v.payload.upn, USER.userPrincipalName);
  assert.equal(v.payload.oid, USER.id);
  assert.equal(v.payload.idtyp, 'user');
  assert.equal(v.payload.appid, PUBLIC_APP);
});

test('DefaultAzureCredential from the environment only: AZURE_TENANT_ID=adfs + secret, no options', { timeout: 60_000 }, async () => {
  const t = await withEnv({ ...base(), AZURE_TENANT_ID: 'adfs', AZURE_CLIENT_ID: SECRET_APP.appId, AZURE_CLIENT_SECRET: SECRET_APP.secret }, async () => {
    const cred = new DefaultAzureCredential();
    return within(cred.getToken(WEBPUBSUB_SCOPE));
  });
  assertSdkToken(t);
  await checkAppToken(t.token, SECRET_APP.appId, '1');
});

test('DefaultAzureCredential, GUID tenant from the environment + { disableInstanceDiscovery: true }', { timeout: 60_000 }, async () => {
  const t = await withEnv({ ...base(), AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: SECRET_APP.appId, AZURE_CLIENT_SECRET: SECRET_APP.secret }, async () => {
    const cred = new DefaultAzureCredential({ disableInstanceDiscovery: true });
    return within(cred.getToken('https://signalr.azure.com/.default'));
  });
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: 'https://signalr.azure.com', ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: 'https://signalr.azure.com', appid: SECRET_APP.appId, appidacr: '1' });
});

test('DefaultAzureCredential, certificate from the environment (adfs, no options)', { timeout: 60_000 }, async () => {
  const t = await withEnv({ ...base(), AZURE_TENANT_ID: 'adfs', AZURE_CLIENT_ID: CERT_APP, AZURE_CLIENT_CERTIFICATE_PATH: cert.pemPath }, async () => {
    const cred = new DefaultAzureCredential();
    return within(cred.getToken(WEBPUBSUB_SCOPE));
  });
  assertSdkToken(t);
  await checkAppToken(t.token, CERT_APP, '2');
  assert.equal(peek(t.token).payload.tid, TENANT, 'the adfs authority maps to the default tenant');
});

test('DefaultAzureCredential with a wrong secret stops the chain with the AADSTS7000215 text (no hang)', { timeout: 60_000 }, async () => {
  const err = await withEnv({ ...base(), AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: SECRET_APP.appId, AZURE_CLIENT_SECRET: 'wrong-secret-wrong-secret-00' }, async () => {
    const cred = new DefaultAzureCredential({ disableInstanceDiscovery: true });
    return rejection(cred.getToken(WEBPUBSUB_SCOPE));
  });
  assert.equal(err.name, 'AuthenticationError', `${err.name}: ${err.message}`);
  assert.match(err.message, /AADSTS7000215/);
});

test('EnvironmentCredential with a wrong password surfaces AADSTS50126', { timeout: 60_000 }, async () => {
  const err = await withEnv({ ...base(), AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: PUBLIC_APP, AZURE_USERNAME: USER.userPrincipalName, AZURE_PASSWORD: 'not-the-password-26' }, async () => {
    const cred = new EnvironmentCredential({ disableInstanceDiscovery: true });
    return rejection(cred.getToken(WEBPUBSUB_SCOPE));
  });
  assert.match(err.message, /AADSTS50126/);
});
