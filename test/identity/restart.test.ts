// Restarting Lapis on the same data directory keeps apps, secrets (still valid), certificates,
// identities and signing keys: a token issued before the restart still verifies against the JWKS
// served after it. Secrets are stored hashed: their text appears nowhere in the data directory.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import { createClientCert, removeCertFiles } from '../helpers/certs.ts';
import type { ClientCert } from '../helpers/certs.ts';
import {
  WEBPUBSUB, WEBPUBSUB_SCOPE, assertSdkToken, assertV1AppClaims, clearJwksCache, discovery, host, peek, postForm,
  scrubAzureEnv, verifyAccessToken, within,
} from './support.ts';

const TENANT = 'c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6ea1';
const APP = { appId: 'd5e6f7a8-b9c0-4d1e-9f2a-3b4c5d6e7fa2', secret: 'restart-app-secret-text-A2x9' };
const CERT_APP = 'e6f7a8b9-c0d1-4e2f-8a3b-4c5d6e7f8aa3';

const dataDirs: string[] = [];
const running: TestLapis[] = [];
let cert: ClientCert;

function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-restart-'));
  dataDirs.push(dir);
  return dir;
}

async function start(opts: { config?: object; dataDir: string }): Promise<TestLapis> {
  const l = await startTestLapis(opts);
  running.push(l);
  return l;
}

before(async () => {
  scrubAzureEnv();
  cert = await createClientCert('restart-cert-app');
});

after(async () => {
  for (const l of running) await l.stop().catch(() => {});
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  removeCertFiles();
});

async function publishedKids(l: TestLapis): Promise<string[]> {
  const res = await fetch((await discovery(l.ready, l.ready.tenantId, '2.0')).jwks_uri);
  const body = (await res.json()) as { keys: { kid: string }[] };
  return body.keys.map((k) => k.kid).sort();
}

/** Every file of the data directory except the config file the harness writes there for us. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile() && name !== 'test-config.json') out.push(p);
  }
  return out;
}

test('restart keeps apps, secrets, certificates, identities and signing keys', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir();
  const config = {
    tenantId: TENANT,
    applications: [
      { displayName: 'restart-app', appId: APP.appId, passwordCredentials: [{ displayName: 'ci', secretText: APP.secret }] },
      { displayName: 'restart-cert-app', appId: CERT_APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: cert.certPem }] },
    ],
  };
  const lapis = await start({ config, dataDir });
  assert.equal(lapis.dataDir, dataDir, 'the harness uses the data dir it was given');

  // Before: a token from each credential type; the discovery document and the JWKS of that moment.
  const before1 = lapis.ready;
  const opts1 = { authorityHost: before1.authorityHost, disableInstanceDiscovery: true };
  const secretToken = await within(new ClientSecretCredential(TENANT, APP.appId, APP.secret, opts1).getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(secretToken);
  const certToken = await within(new ClientCertificateCredential(TENANT, CERT_APP, cert.pemPath, opts1).getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(certToken);
  const docBefore = await discovery(before1, TENANT, '1.0');
  const vBefore = await verifyAccessToken(before1, secretToken.token, { audience: WEBPUBSUB, ver: '1.0' });
  const spOid = vBefore.payload.oid;
  const kidBefore = peek(secretToken.token).header.kid;
  const miBefore = { ...before1.managedIdentity.systemAssigned };
  const subscriptionBefore = before1.subscriptionId;

  await lapis.restart();
  clearJwksCache();
  const after1 = lapis.ready;
  assert.equal(after1.tenantId, TENANT);
  assert.equal(after1.subscriptionId, subscriptionBefore, 'subscription id kept');
  assert.deepEqual(after1.managedIdentity.systemAssigned, miBefore, 'the host system-assigned identity is kept');

  // The pre-restart token verifies against the JWKS served after the restart (fresh fetch).
  const docAfter = await discovery(after1, TENANT, '1.0');
  const freshJwks = createRemoteJWKSet(new URL(docAfter.jwks_uri));
  const { payload } = await jwtVerify(secretToken.token, freshJwks, { issuer: docBefore.issuer, audience: WEBPUBSUB, algorithms: ['RS256'], clockTolerance: 300 });
  assert.equal(payload.oid, spOid);
  await jwtVerify(certToken.token, freshJwks, { issuer: docBefore.issuer, audience: WEBPUBSUB, algorithms: ['RS256'], clockTolerance: 300 });

  // The same secret and certificate still authenticate; the service principal keeps its object id.
  const opts2 = { authorityHost: after1.authorityHost, disableInstanceDiscovery: true };
  const t2 = await within(new ClientSecretCredential(TENANT, APP.appId, APP.secret, opts2).getToken('https://signalr.azure.com/.default'));
  assertSdkToken(t2);
  const v2 = await verifyAccessToken(after1, t2.token, { audience: 'https://signalr.azure.com', ver: '1.0' });
  assertV1AppClaims(v2, after1, { aud: 'https://signalr.azure.com', appid: APP.appId, appidacr: '1', oid: String(spOid) });
  assert.equal(peek(t2.token).header.kid, kidBefore, 'the same signing key is used after the restart');
  const c2 = await within(new ClientCertificateCredential(TENANT, CERT_APP, cert.pemPath, opts2).getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(c2);
  const raw = await postForm(`${host(after1)}/${TENANT}/oauth2/token`, { grant_type: 'client_credentials', client_id: APP.appId, client_secret: APP.secret, resource: WEBPUBSUB });
  assert.equal(raw.status, 200, raw.text);

  // A wrong secret is still refused after the restart (the hash is compared, not skipped).
  const wrong = await postForm(`${host(after1)}/${TENANT}/oauth2/token`, { grant_type: 'client_credentials', client_id: APP.appId, client_secret: `${APP.secret}-nope`, resource: WEBPUBSUB });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json?.error, 'invalid_client');

  // Restart a second time: still the same key and principal.
  await lapis.restart();
  clearJwksCache();
  const t3 = await within(new ClientSecretCredential(TENANT, APP.appId, APP.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true }).getToken(WEBPUBSUB_SCOPE));
  assertSdkToken(t3);
  const v3 = await verifyAccessToken(lapis.ready, t3.token, { audience: WEBPUBSUB, ver: '1.0' });
  assert.equal(v3.payload.oid, spOid);

  // Secrets are stored hashed: the secret text is in no file of the data directory (checked while
  // running, so SQLite's WAL is included, and again after a clean stop).
  const scan = () => {
    const files = filesUnder(dataDir);
    assert.ok(files.length > 0, 'the data directory holds state');
    for (const f of files) {
      const bytes = readFileSync(f);
      assert.ok(!bytes.includes(Buffer.from(APP.secret, 'utf8')), `${f} contains the client secret in clear`);
      assert.ok(!bytes.includes(Buffer.from(APP.secret, 'utf16le')), `${f} contains the client secret (UTF-16)`);
    }
    return files;
  };
  scan();
  await lapis.stop();
  running.splice(running.indexOf(lapis), 1);
  if (existsSync(dataDir)) {
    const files = scan();
    assert.ok(!files.some((f) => f.endsWith('ready.json')), 'ready.json is removed on stop');
  }
});

test('with no config, the default tenant, subscription and host identity survive a restart', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir();
  const lapis = await start({ dataDir });
  const r1 = { tenantId: lapis.ready.tenantId, subscriptionId: lapis.ready.subscriptionId, mi: { ...lapis.ready.managedIdentity.systemAssigned } };
  const kids1 = await publishedKids(lapis);
  await lapis.restart();
  assert.equal(lapis.ready.tenantId, r1.tenantId);
  assert.equal(lapis.ready.subscriptionId, r1.subscriptionId);
  assert.deepEqual(lapis.ready.managedIdentity.systemAssigned, r1.mi);
  const kids2 = await publishedKids(lapis);
  for (const kid of kids1) assert.ok(kids2.includes(kid), `published key ${kid} still published after restart`);
});
