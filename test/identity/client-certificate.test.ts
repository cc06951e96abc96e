// ClientCertificateCredential against Lapis: a PEM file with certificate + key (seed 000 "upload a
// certificate"), the PEM as a string, an encrypted key, and sendCertificateChain (x5c header).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ClientCertificateCredential } from '@azure/identity';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import { createChainedClientCert, createClientCert, removeCertFiles } from '../helpers/certs.ts';
import type { ClientCert } from '../helpers/certs.ts';
import {
  WEBPUBSUB, WEBPUBSUB_SCOPE, assertSdkToken, assertV1AppClaims, assertV2AppClaims, rejection, scrubAzureEnv,
  verifyAccessToken, within,
} from './support.ts';

const TENANT = '5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c11';
const DOMAIN = 'fabrikam.onmicrosoft.com';
const CERT_APP = '1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a12';
const CHAIN_APP = '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c13';
const ENC_APP = '3b4c5d6e-7f8a-4b9c-8d0e-1f2a3b4c5d14';
const UPSTREAM_V2 = { appId: '4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e15', uri: 'api://cert-upstream' };
const PASSPHRASE = 'correct horse battery staple';

let lapis: TestLapis;
let cert: ClientCert;
let chained: ClientCert;
let encrypted: ClientCert;
let stranger: ClientCert;

before(async () => {
  scrubAzureEnv();
  [cert, chained, encrypted, stranger] = await Promise.all([
    createClientCert('cert-app'),
    createChainedClientCert('chain-app'),
    createClientCert('enc-app', { passphrase: PASSPHRASE }),
    createClientCert('not-registered'),
  ]);
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      domains: [DOMAIN],
      applications: [
        { displayName: 'cert-app', appId: CERT_APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: cert.certPem }] },
        { displayName: 'chain-app', appId: CHAIN_APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: chained.certPem }] },
        { displayName: 'enc-app', appId: ENC_APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: encrypted.certPem }] },
        { displayName: 'cert-upstream', appId: UPSTREAM_V2.appId, identifierUris: [UPSTREAM_V2.uri], api: { requestedAccessTokenVersion: 2 } },
      ],
    },
  });
});

after(async () => {
  await lapis?.stop();
  removeCertFiles();
});

const opts = () => ({ authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });

test('ClientCertificateCredential with a PEM path (certificate + PKCS#8 key) gets a v1 token with appidacr "2"', { timeout: 60_000 }, async () => {
  const cred = new ClientCertificateCredential(TENANT, CERT_APP, cert.pemPath, opts());
  const t = await within(cred.getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: CERT_APP, appidacr: '2' });
});

test('the same credential gets tokens for two resources in a row (msal-node reuses its assertion for 10 min)', { timeout: 60_000 }, async () => {
  // msal-node's ClientAssertion.getJwt returns the cached JWT while it is unexpired and issuer and
  // audience are unchanged, so both POSTs below carry the SAME assertion (same jti). Replay
  // protection must not break this unmodified-SDK behaviour.
  const cred = new ClientCertificateCredential(TENANT, CERT_APP, { certificatePath: cert.pemPath }, opts());
  const a = await within(cred.getToken(WEBPUBSUB_SCOPE), undefined, 'first resource');
  const b = await within(cred.getToken('https://signalr.azure.com/.default'), undefined, 'second resource');
  assertSdkToken(a);
  assertSdkToken(b);
  await verifyAccessToken(lapis.ready, b.token, { audience: 'https://signalr.azure.com', ver: '1.0' });
});

test('the PEM given as a string, domain tenant in mixed case, works', { timeout: 60_000 }, async () => {
  const pem = readFileSync(cert.pemPath, 'utf8');
  const cred = new ClientCertificateCredential('Fabrikam.OnMicrosoft.com', CERT_APP, { certificate: pem }, opts());
  const t = await within(cred.getToken('https://signalr.azure.com/.default'));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: 'https://signalr.azure.com', ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: 'https://signalr.azure.com', appid: CERT_APP, appidacr: '2' });
});

test('sendCertificateChain: true (x5c with leaf + CA in the assertion header) gets a token', { timeout: 60_000 }, async () => {
  const pem = readFileSync(chained.pemPath, 'utf8');
  assert.equal(pem.match(/BEGIN CERTIFICATE/g)?.length, 2, 'the PEM holds leaf and CA');
  const cred = new ClientCertificateCredential(TENANT, CHAIN_APP, chained.pemPath, { ...opts(), sendCertificateChain: true });
  const t = await within(cred.getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: CHAIN_APP, appidacr: '2' });
});

test('an encrypted PKCS#8 key with certificatePassword works', { timeout: 60_000 }, async () => {
  const cred = new ClientCertificateCredential(TENANT, ENC_APP, { certificatePath: encrypted.pemPath, certificatePassword: PASSPHRASE }, opts());
  const t = await within(cred.getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: ENC_APP, appidacr: '2' });
});

test('a certificate client calling a v2 API gets a v2 token with azpacr "2"', { timeout: 60_000 }, async () => {
  const cred = new ClientCertificateCredential(TENANT, CERT_APP, cert.pemPath, opts());
  const t = await within(cred.getToken(`${UPSTREAM_V2.uri}/.default`));
  assertSdkToken(t);
  const v = await verifyAccessToken(lapis.ready, t.token, { audience: UPSTREAM_V2.appId, ver: '2.0' });
  assertV2AppClaims(v, lapis.ready, { aud: UPSTREAM_V2.appId, azp: CERT_APP, azpacr: '2' });
});

test('a certificate not registered on the app is refused with AADSTS700027, surfaced by the SDK', { timeout: 60_000 }, async () => {
  const cred = new ClientCertificateCredential(TENANT, CERT_APP, stranger.pemPath, opts());
  const err = await rejection(cred.getToken(WEBPUBSUB_SCOPE));
  assert.ok(['AuthenticationError', 'AuthenticationRequiredError'].includes(err.name), `error type ${err.name}: ${err.message}`);
  assert.match(err.message, /AADSTS700027/);
  assert.match(err.message, /invalid_client/);
});

test('another app\'s registered certificate does not authenticate this app (AADSTS700027)', { timeout: 60_000 }, async () => {
  const cred = new ClientCertificateCredential(TENANT, CERT_APP, chained.pemPath, opts());
  const err = await rejection(cred.getToken(WEBPUBSUB_SCOPE));
  assert.match(err.message, /AADSTS700027/);
});
