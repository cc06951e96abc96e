// "Nothing logged that grants access" (DESIGN principle 4, issue 3 "structured logs that never
// contain a secret, token or key"): runs the real `lapis start` process at log level trace, drives
// every identity flow through it — right and wrong secrets, Basic auth, client assertions,
// passwords, managed identity — and then searches everything the process wrote for the secrets
// sent and the tokens received.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { trustCa } from '../helpers/lapis.ts';
import { createClientCert, removeCertFiles } from '../helpers/certs.ts';
import { WEBPUBSUB, WEBPUBSUB_SCOPE, assertionClaims, getJson, http, postForm, scrubAzureEnv, signJwt } from './support.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'lapis.js');
const TENANT = 'c9d0e1f2-a3b4-4c5d-8e6f-7a8b9c0d1ed1';
const APP = { appId: 'd0e1f2a3-b4c5-4d6e-9f7a-8b9c0d1e2fd2', secret: 'log-hygiene-secret-text-d2-XYZ' };
const CERT_APP = 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4ad3';
const CLI_APP = 'f2a3b4c5-d6e7-4f8a-9b0c-1d2e3f4a5bd4';
const USER = { userPrincipalName: 'logs@hygiene.onmicrosoft.com', password: 'Log-hygiene-password-d5!' };
const WRONG_SECRET = 'typo-of-a-real-secret-d6-QRS';
const WRONG_PASSWORD = 'Typo-of-a-real-password-d7!';

const dirs: string[] = [];
let child: ChildProcess | undefined;

after(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  removeCertFiles();
});

test('at log level trace, no secret, password, assertion, identity header or token appears in Lapis\'s output', { timeout: 120_000 }, async () => {
  scrubAzureEnv();
  const dataDir = mkdtempSync(join(tmpdir(), 'lapis-logs-'));
  dirs.push(dataDir);
  const cert = await createClientCert('log-hygiene');
  const configPath = join(dataDir, '..', `${dataDir.split('/').pop()}-config.json`);
  dirs.push(configPath);
  writeFileSync(configPath, JSON.stringify({
    tenantId: TENANT,
    domains: ['hygiene.onmicrosoft.com'],
    applications: [
      { displayName: 'log-app', appId: APP.appId, passwordCredentials: [{ secretText: APP.secret }] },
      { displayName: 'log-cert-app', appId: CERT_APP, keyCredentials: [{ type: 'AsymmetricX509Cert', key: cert.certPem }] },
      { displayName: 'log-cli', appId: CLI_APP, isFallbackPublicClient: true },
    ],
    users: [USER],
  }));

  child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--config', configPath, '--http-port', '0', '--https-port', '0', '--log-level', 'trace'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const readyFile = join(dataDir, 'ready.json');
  for (let i = 0; i < 300 && !existsSync(readyFile); i++) {
    if (child.exitCode !== null) throw new Error(`lapis exited early (${child.exitCode}): ${out.slice(-2000)}`);
    await sleep(100);
  }
  assert.ok(existsSync(readyFile), 'ready.json appeared');
  await sleep(100);
  const ready = JSON.parse(readFileSync(readyFile, 'utf8'));
  trustCa(ready.caCertPath);
  const H = String(ready.authorityHost).replace(/\/+$/, '');
  const v2 = `${H}/${TENANT}/oauth2/v2.0/token`;
  const v1 = `${H}/${TENANT}/oauth2/token`;

  const leaks: string[] = [APP.secret, WRONG_SECRET, USER.password, WRONG_PASSWORD, ready.managedIdentity.identityHeader];
  const tokens: string[] = [];
  const take = (res: { status: number; json: any; text: string }, what: string) => {
    assert.equal(res.status, 200, `${what}: ${res.text.slice(0, 200)}`);
    tokens.push(res.json.access_token);
  };

  take(await postForm(v2, { grant_type: 'client_credentials', client_id: APP.appId, client_secret: APP.secret, scope: WEBPUBSUB_SCOPE }), 'v2 secret');
  take(await postForm(v1, { grant_type: 'client_credentials', client_id: APP.appId, client_secret: APP.secret, resource: WEBPUBSUB }), 'v1 secret');
  await postForm(v2, { grant_type: 'client_credentials', client_id: APP.appId, client_secret: WRONG_SECRET, scope: WEBPUBSUB_SCOPE });
  const basic = Buffer.from(`${APP.appId}:${APP.secret}`).toString('base64');
  leaks.push(basic);
  await postForm(v2, { grant_type: 'client_credentials', scope: WEBPUBSUB_SCOPE }, { authorization: `Basic ${basic}` });
  // a secret in the query string (a mistake users make) must not reach the logs either
  await http(`${v2}?client_secret=${encodeURIComponent(APP.secret)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  const assertion = signJwt({ alg: 'PS256', typ: 'JWT', 'x5t#S256': cert.x5tS256 }, assertionClaims(CERT_APP, v2), cert.privateKey);
  leaks.push(assertion.split('.')[2]!);
  take(await postForm(v2, { grant_type: 'client_credentials', client_id: CERT_APP, scope: WEBPUBSUB_SCOPE, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }), 'assertion');
  await postForm(v2, { grant_type: 'client_credentials', client_id: CERT_APP, scope: WEBPUBSUB_SCOPE, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }); // replay
  take(await postForm(v2, { grant_type: 'password', client_id: CLI_APP, username: USER.userPrincipalName, password: USER.password, scope: `${WEBPUBSUB_SCOPE} openid profile offline_access`, client_info: '1' }), 'password');
  await postForm(v2, { grant_type: 'password', client_id: CLI_APP, username: USER.userPrincipalName, password: WRONG_PASSWORD, scope: WEBPUBSUB_SCOPE });
  const mi = ready.managedIdentity;
  take(await getJson(`${mi.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(WEBPUBSUB)}`, { 'X-IDENTITY-HEADER': mi.identityHeader }), 'app service MI');
  await getJson(`${mi.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(WEBPUBSUB)}`, { 'X-IDENTITY-HEADER': `${mi.identityHeader}x` });
  take(await getJson(`${mi.imdsEndpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(WEBPUBSUB)}`, { Metadata: 'true' }), 'IMDS');

  child.kill('SIGTERM');
  await new Promise<void>((resolve) => (child!.exitCode !== null ? resolve() : child!.once('exit', () => resolve())));

  assert.ok(out.split('\n').filter((l) => l.startsWith('{')).length >= 10, `trace logging produced JSON lines (got ${out.length} bytes)`);
  assert.match(out, /oauth2\/v2\.0\/token/, 'the token requests were logged (so the search below is meaningful)');
  for (const t of tokens) leaks.push(t, t.split('.')[2]!);
  for (const secret of leaks) {
    const at = out.indexOf(secret);
    assert.equal(at, -1, `Lapis's output contains a credential (${secret.slice(0, 6)}…): …${out.slice(Math.max(0, at - 200), at + 40).replace(secret, '<HERE>')}`);
  }
});
