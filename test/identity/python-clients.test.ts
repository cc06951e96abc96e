// Clients in another language, unmodified (issue 10 §4): MSAL Python's certificate credential
// (RS256, x5t with '=' padding, fractional iat, no nbf, aud = the discovery document's
// token_endpoint) and azure-identity Python's CertificateCredential and ClientSecretCredential.
// Each runs as a child process that trusts Lapis's CA through REQUESTS_CA_BUNDLE; it skips with
// the reason when python3 lacks msal or azure-identity.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { createClientCert, removeCertFiles, type ClientCert } from '../helpers/certs.ts';
import { assertV1AppClaims, host, peek, verifyAccessToken, WEBPUBSUB, WEBPUBSUB_SCOPE } from './support.ts';
import { pythonWithAzure } from './external-tools.ts';

const SCRIPT = fileURLToPath(new URL('./python/get_token.py', import.meta.url));
const TENANT = 'a04c6f85-3e1b-4f9d-8c54-8b6d7e9f0a40';
const CERT_APP = 'a04c6f85-3e1b-4f9d-8c54-8b6d7e9f0a41';
const SECRET_APP = { appId: 'a04c6f85-3e1b-4f9d-8c54-8b6d7e9f0a42', secret: 'Python-secret-value-0123456789' };
const py = pythonWithAzure();
const skip = py.path ? false : py.reason!;
if (skip) console.log(`# skipping Python client tests: ${skip}`);

let lapis: TestLapis;
let cert: ClientCert;
let assertions: string[] = [];

before(async () => {
  if (skip) return;
  cert = await createClientCert('python-cert-app');
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      applications: [
        { displayName: 'python-cert-app', appId: CERT_APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: cert.certPem }] },
        { displayName: 'python-secret-app', appId: SECRET_APP.appId, passwordCredentials: [{ secretText: SECRET_APP.secret }] },
      ],
    },
  });
  // Record the assertions the Python clients send, to check the facts this test is about.
  const tokens = lapis.node.identity.tokens;
  const handle = tokens.handle.bind(tokens);
  tokens.handle = async (call) => {
    const a = call.form.get('client_assertion');
    if (a) assertions.push(a);
    return handle(call);
  };
});

after(async () => {
  await lapis?.stop();
  removeCertFiles();
});

function runPython(env: Record<string, string>): Promise<{ ok: boolean; access_token?: string; error?: unknown }> {
  const ca = lapis.ready.caCertPath;
  return new Promise((resolve, reject) => {
    const child = spawn(py.path!, [SCRIPT], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp',
        REQUESTS_CA_BUNDLE: ca, SSL_CERT_FILE: ca, NO_PROXY: '*', AZURE_IDENTITY_DISABLE_CP1: '1',
        LAPIS_AUTHORITY_HOST: host(lapis.ready), LAPIS_TENANT_ID: TENANT, LAPIS_SCOPE: WEBPUBSUB_SCOPE, ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c; });
    child.stderr.on('data', (c: Buffer) => { err += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`python exited ${code}: ${out.slice(0, 500)} ${err.slice(-1500)}`));
      }
    });
  });
}

const sha1Hex = (der: Buffer) => createHash('sha1').update(der).digest('hex');

test('MSAL Python 1.21 ConfidentialClientApplication with a certificate gets a token', { skip, timeout: 90_000 }, async () => {
  assertions = [];
  const res = await runPython({ LAPIS_CLIENT: 'msal-certificate', LAPIS_CLIENT_ID: CERT_APP, LAPIS_CERT_PATH: cert.pemPath, LAPIS_THUMBPRINT: sha1Hex(cert.der) });
  assert.ok(res.ok, `MSAL Python failed: ${JSON.stringify(res.error)}`);
  const v = await verifyAccessToken(lapis.ready, res.access_token!, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: CERT_APP, appidacr: '2' });
  // The assertion it sent has the shape this fix is about.
  assert.equal(assertions.length, 1);
  const { header, payload } = peek(assertions[0]!);
  assert.equal(header.alg, 'RS256');
  assert.match(String(header.x5t), /=$/, 'x5t keeps its base64 padding');
  assert.equal(payload.nbf, undefined, 'no nbf');
  assert.equal(payload.aud, `${host(lapis.ready)}/${TENANT}/oauth2/v2.0/token`, 'aud is the discovery token_endpoint');
});

test('azure-identity Python CertificateCredential gets a token', { skip, timeout: 90_000 }, async () => {
  const res = await runPython({ LAPIS_CLIENT: 'identity-certificate', LAPIS_CLIENT_ID: CERT_APP, LAPIS_CERT_PATH: cert.pemPath });
  assert.ok(res.ok, `CertificateCredential failed: ${JSON.stringify(res.error)}`);
  const v = await verifyAccessToken(lapis.ready, res.access_token!, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: CERT_APP, appidacr: '2' });
});

test('azure-identity Python ClientSecretCredential gets a token; a wrong secret surfaces AADSTS7000215', { skip, timeout: 90_000 }, async () => {
  const res = await runPython({ LAPIS_CLIENT: 'identity-secret', LAPIS_CLIENT_ID: SECRET_APP.appId, LAPIS_SECRET: SECRET_APP.secret });
  assert.ok(res.ok, `ClientSecretCredential failed: ${JSON.stringify(res.error)}`);
  const v = await verifyAccessToken(lapis.ready, res.access_token!, { audience: WEBPUBSUB, ver: '1.0' });
  assertV1AppClaims(v, lapis.ready, { aud: WEBPUBSUB, appid: SECRET_APP.appId, appidacr: '1' });
  const bad = await runPython({ LAPIS_CLIENT: 'identity-secret', LAPIS_CLIENT_ID: SECRET_APP.appId, LAPIS_SECRET: 'not-the-secret' });
  assert.equal(bad.ok, false);
  assert.match(String(bad.error), /AADSTS7000215/);
});
