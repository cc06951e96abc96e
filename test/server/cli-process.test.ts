import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientSecretCredential } from '@azure/identity';
import { trustCa } from '../helpers/lapis.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'lapis.js');
const dirs: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lapis-cli-'));
  dirs.push(d);
  return d;
}

function lapis(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

async function startProcess(dataDir: string, extra: string[] = []) {
  const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--http-port', '0', '--https-port', '0', '--log-level', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const readyFile = join(dataDir, 'ready.json');
  for (let i = 0; i < 300 && !existsSync(readyFile); i++) {
    if (child.exitCode !== null) throw new Error(`lapis exited early (${child.exitCode}): ${out}`);
    await sleep(100);
  }
  assert.ok(existsSync(readyFile), `ready.json did not appear: ${out}`);
  await sleep(100); // let the banner flush
  return { child, ready: JSON.parse(readFileSync(readyFile, 'utf8')), output: () => out };
}

function waitExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)));
}

test('lapis start: banner, ready.json (owner-only), health on both listeners, clean SIGTERM stop', async () => {
  const dir = tempDir();
  const { child, ready, output } = await startProcess(dir);
  const banner = output();
  assert.match(banner, /Lapis is ready/);
  assert.match(banner, new RegExp(`NODE_EXTRA_CA_CERTS=${ready.caCertPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(banner, /connection string: Endpoint=https:\/\/localhost:\d+;AccessKey=/);
  assert.match(banner, /bootstrap administrator/);
  assert.equal(statSync(join(dir, 'ready.json')).mode & 0o777, 0o600);
  assert.match(ready.tenantId, /^[0-9a-f-]{36}$/);
  assert.equal(ready.authorityHost, ready.httpsUrl);
  // The default world: one Web PubSub and one SignalR resource (Serverless: the mode this version serves clients in; said in the banner).
  assert.deepEqual(ready.resources.map((r: { type: string }) => r.type), ['Microsoft.SignalRService/webPubSub', 'Microsoft.SignalRService/signalR']);
  assert.match(banner, /Microsoft\.SignalRService\/signalR "signalr": https:\/\/localhost:\d+/);
  assert.match(banner, /service mode: Serverless/);
  assert.ok(ready.managedIdentity.identityHeader.length >= 32);
  assert.match(ready.managedIdentity.systemAssigned.clientId, /^[0-9a-f-]{36}$/);

  trustCa(ready.caCertPath);
  for (const base of [ready.httpUrl, ready.httpsUrl]) {
    const get = await fetch(`${base}/api/health`);
    assert.equal(get.status, 200);
    const head = await fetch(`${base}/api/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  }
  const started = Date.now();
  child.kill('SIGTERM');
  assert.equal(await waitExit(child), 0);
  assert.ok(Date.now() - started < 10_000, 'stopped within 10 s');
  assert.equal(existsSync(join(dir, 'ready.json')), false, 'ready.json removed on stop');
});

test('a second start prints no bootstrap secret and keeps the resource ports', async () => {
  const dir = tempDir();
  const first = await startProcess(dir);
  first.child.kill('SIGINT');
  assert.equal(await waitExit(first.child), 0);
  const second = await startProcess(dir);
  assert.doesNotMatch(second.output(), /bootstrap administrator/);
  assert.equal(second.ready.resources[0].endpoint, first.ready.resources[0].endpoint);
  assert.equal(second.ready.resources[0].connectionString, first.ready.resources[0].connectionString);
  assert.equal(second.ready.tenantId, first.ready.tenantId);
  second.child.kill('SIGTERM');
  assert.equal(await waitExit(second.child), 0);
});

test('an invalid config stops start-up with every problem and its JSON path; nothing is left running', () => {
  const dir = tempDir();
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({
    tenantId: 'not-a-guid',
    applications: [{ displayName: 'a', passwordCredentials: [{ secretText: 'short' }] }],
    resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: 'rg', hubs: [{ name: '9bad' }] }],
    roleAssignments: [{ principal: 'a' }],
    unknownThing: true,
  }));
  const r = lapis(['start', '--config', file, '--data-dir', join(dir, 'data'), '--http-port', '0', '--https-port', '0']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /\$\.tenantId: expected a GUID/);
  assert.match(r.stderr, /\$\.applications\[0\]\.passwordCredentials\[0\]\.secretText/);
  assert.match(r.stderr, /\$\.resources\[0\]\.hubs\[0\]\.name/);
  assert.match(r.stderr, /\$\.roleAssignments\[0\]\.scope/);
  assert.match(r.stderr, /unknownThing/);
  assert.equal(existsSync(join(dir, 'data', 'ready.json')), false);
});

test('config files that are not JSON or too large are refused', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'broken.json'), '{ "tenantId": ');
  const broken = lapis(['validate-config', join(dir, 'broken.json')]);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /not valid JSON/);
  writeFileSync(join(dir, 'huge.json'), `{"x":"${'a'.repeat(5 * 1024 * 1024)}"}`);
  const huge = lapis(['validate-config', join(dir, 'huge.json')]);
  assert.equal(huge.status, 2);
  assert.match(huge.stderr, /limit is/);
  const missing = lapis(['validate-config', join(dir, 'nope.json')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read the file \(ENOENT\)/);
});

test('bad flags and environment variables name themselves', () => {
  const r = lapis(['start', '--http-port', '99999']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--http-port \/ LAPIS_HTTP_PORT must be a whole number/);
  const e = lapis(['start', '--data-dir', tempDir()], { LAPIS_HTTPS_PORT: 'abc' });
  assert.equal(e.status, 2);
  assert.match(e.stderr, /--https-port \/ LAPIS_HTTPS_PORT/);
  const u = lapis(['start', '--no-such-flag']);
  assert.notEqual(u.status, 0);
  assert.match(u.stderr, /unknown option/);
});

test('--help lists every start flag with its environment variable', () => {
  const r = lapis(['start', '--help']);
  assert.equal(r.status, 0);
  for (const [flag, env] of [['--config', 'LAPIS_CONFIG'], ['--data-dir', 'LAPIS_DATA_DIR'], ['--http-port', 'LAPIS_HTTP_PORT'], ['--https-port', 'LAPIS_HTTPS_PORT']]) {
    assert.match(r.stdout, new RegExp(`${flag}[\\s\\S]*env:\\s+${env}`));
  }
  const top = lapis(['--help']);
  assert.match(top.stdout, /start/);
  assert.match(top.stdout, /ad/);
});

test('seed 000 by CLI: register an app, add a secret (shown once, stored hashed), get a token with it', async () => {
  const dir = tempDir();
  const { child, ready } = await startProcess(dir);
  trustCa(ready.caCertPath);
  const created = lapis(['ad', 'app', 'create', '--display-name', 'chat-server', '--identifier-uris', 'api://chat-server', '-d', dir]);
  assert.equal(created.status, 0, created.stderr);
  const app = JSON.parse(created.stdout);
  assert.match(app.appId, /^[0-9a-f-]{36}$/);
  const dup = lapis(['ad', 'app', 'create', '--display-name', 'chat-server', '-d', dir]);
  assert.equal(dup.status, 2);
  assert.match(dup.stderr, /already exists/);

  const reset = lapis(['ad', 'app', 'credential', 'reset', '--id', app.appId, '--display-name', 'ci', '-d', dir]);
  assert.equal(reset.status, 0, reset.stderr);
  const { password, tenant } = JSON.parse(reset.stdout);
  assert.equal(tenant, ready.tenantId);
  assert.ok(Buffer.from(password, 'base64url').length >= 32, 'at least 256 bits');

  const listed = JSON.parse(lapis(['ad', 'app', 'credential', 'list', '--id', app.appId, '-d', dir]).stdout);
  assert.equal(listed.passwordCredentials.length, 1);
  assert.equal(listed.passwordCredentials[0].secretText, null, 'never shown again');
  assert.equal(listed.passwordCredentials[0].hint, password.slice(0, 3));

  const cred = new ClientSecretCredential(ready.tenantId, app.appId, password, { authorityHost: ready.authorityHost, disableInstanceDiscovery: true });
  const token = await cred.getToken('https://webpubsub.azure.com/.default');
  assert.ok(token.token.split('.').length === 3);
  const tokenForApp = await cred.getToken('api://chat-server/.default');
  assert.ok(tokenForApp.token);

  child.kill('SIGTERM');
  assert.equal(await waitExit(child), 0);
  const db = readFileSync(join(dir, 'lapis.db'));
  const wal = existsSync(join(dir, 'lapis.db-wal')) ? readFileSync(join(dir, 'lapis.db-wal')) : Buffer.alloc(0);
  assert.equal(db.includes(password), false, 'the secret is not stored as text');
  assert.equal(wal.includes(password), false, 'nor in the write-ahead log');
});

test('the directory API refuses callers without a token or without admin rights', async () => {
  const dir = tempDir();
  const { child, ready } = await startProcess(dir);
  trustCa(ready.caCertPath);
  const none = await fetch(`${ready.httpsUrl}/v1.0/applications`);
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'InvalidAuthenticationToken');
  // A token for the right audience from a principal that is no directory admin.
  lapis(['ad', 'app', 'create', '--display-name', 'plain', '-d', dir]);
  const { appId, password } = JSON.parse(lapis(['ad', 'app', 'credential', 'reset', '--id', 'plain', '-d', dir]).stdout);
  const cred = new ClientSecretCredential(ready.tenantId, appId, password, { authorityHost: ready.authorityHost, disableInstanceDiscovery: true });
  const t = await cred.getToken('https://graph.microsoft.com/.default');
  const forbidden = await fetch(`${ready.httpsUrl}/v1.0/applications`, { headers: { authorization: `Bearer ${t.token}` } });
  assert.equal(forbidden.status, 403);
  assert.equal(((await forbidden.json()) as { error: { code: string } }).error.code, 'Authorization_RequestDenied');
  // A token for another audience is refused as unauthenticated.
  const wrongAud = await cred.getToken('https://webpubsub.azure.com/.default');
  const r = await fetch(`${ready.httpsUrl}/v1.0/applications`, { headers: { authorization: `Bearer ${wrongAud.token}` } });
  assert.equal(r.status, 401);
  child.kill('SIGTERM');
  await waitExit(child);
});
