// `lapis signalr …` (named after `az signalr …`) as a child process, as a user runs it, against a
// Lapis in this process: create (serving at once), show, list, update, key list/renew, identity,
// upstream templates, delete — and the errors a user sees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { RG, uamiId, world } from './support.ts';
import { parseUpstreamTemplate } from '../../src/cli/signalr.ts';
import { CliError } from '../../src/cli/client.ts';

const T = '5c0a1d2e-0000-4000-8000-0000000000a7';
const S = '5c0a1d2e-0000-4000-8000-0000000000b7';
const UAMI1 = uamiId(S, 'uami-1');
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'lapis.js');

let lapis: TestLapis;

before(async () => {
  lapis = await startTestLapis({ config: world(T, S, [{ type: 'Microsoft.SignalRService/signalR', name: 'declared', resourceGroup: RG }]) });
});

after(async () => {
  await lapis?.stop();
});

/** Runs `lapis signalr <args> -d <data dir>`; resolves with the printed JSON, rejects with stderr and the exit code. */
function sr(...args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, 'signalr', ...args, '-d', lapis.dataDir], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(Object.assign(new Error(stderr.trim() || err.message), { exitCode: err.code }));
      resolve(stdout.trim() ? JSON.parse(stdout) : undefined);
    });
  });
}

const target = ['-n', 'cli-made', '-g', RG];

test('create serves at once; show and list print it flattened, as az does', async () => {
  const made = await sr('create', ...target, '--service-mode', 'Serverless', '--allowed-origins', 'https://a.example', 'https://b.example', '--sku', 'Free_F1', '--tags', 'team=rt');
  assert.equal(made.id, `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/signalR/cli-made`);
  assert.equal(made.provisioningState, 'Succeeded');
  assert.deepEqual(made.features, [{ flag: 'ServiceMode', value: 'Serverless', properties: {} }]);
  assert.deepEqual(made.cors, { allowedOrigins: ['https://a.example', 'https://b.example'] });
  assert.equal(made.sku.name, 'Free_F1');
  assert.deepEqual(made.tags, { team: 'rt' });
  assert.equal((await fetch(`https://localhost:${made.publicPort}/api/health`)).status, 200);
  assert.deepEqual(await sr('show', ...target), made);
  assert.deepEqual((await sr('list')).map((r: any) => r.name), ['cli-made', 'declared']);
  assert.deepEqual(await sr('list', '-g', 'rg-2'), []);
});

test('update changes only what it names', async () => {
  const updated = await sr('update', ...target, '--service-mode', 'Default', '--enable-message-logs', 'true');
  assert.deepEqual(updated.features, [{ flag: 'ServiceMode', value: 'Default', properties: {} }, { flag: 'EnableMessagingLogs', value: 'True', properties: {} }]);
  assert.deepEqual(updated.cors.allowedOrigins, ['https://a.example', 'https://b.example']);
  const local = await sr('update', ...target, '--disable-local-auth', 'true');
  assert.equal(local.disableLocalAuth, true);
  await assert.rejects(sr('update', ...target), /nothing to update/);
});

test('key list / key renew: the connection string follows the key', async () => {
  const keys = await sr('key', 'list', ...target);
  assert.match(keys.primaryConnectionString, /^Endpoint=https:\/\/localhost:\d+;AccessKey=.+;Version=1\.0;$/);
  const renewed = await sr('key', 'renew', ...target, '--key-type', 'secondary');
  assert.equal(renewed.primaryKey, keys.primaryKey);
  assert.notEqual(renewed.secondaryKey, keys.secondaryKey);
  assert.ok(renewed.secondaryConnectionString.includes(renewed.secondaryKey));
  await assert.rejects(sr('key', 'renew', ...target, '--key-type', 'tertiary'), (err: Error & { exitCode?: number }) => err.exitCode !== 0);
});

test('identity assign [system] / <uami id> / remove', async () => {
  const sys = await sr('identity', 'assign', ...target, '--identity', '[system]');
  assert.equal(sys.identity.type, 'SystemAssigned');
  assert.deepEqual(await sr('identity', 'show', ...target), sys.identity);
  const ua = await sr('identity', 'assign', ...target, '--identity', UAMI1);
  assert.deepEqual(Object.keys(ua.identity.userAssignedIdentities), [UAMI1]);
  const none = await sr('identity', 'remove', ...target);
  assert.deepEqual(none.identity, { type: 'None' });
  await assert.rejects(sr('identity', 'assign', ...target, '--identity', uamiId(S, 'missing')), /InvalidUserAssignedIdentity/);
});

test('upstream update / list / clear; a bad template names its property', async () => {
  const set = await sr('upstream', 'update', ...target,
    '--template', 'url-template=https://f.example/api/{event}', 'hub-pattern=chat', 'category-pattern=messages',
    '--template', 'url-template=https://g.example/', 'auth-type=ManagedIdentity', 'auth-resource=api://upstream');
  assert.deepEqual(set.templates, [
    { urlTemplate: 'https://f.example/api/{event}', hubPattern: 'chat', categoryPattern: 'messages' },
    { urlTemplate: 'https://g.example/', auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } } },
  ]);
  assert.deepEqual(await sr('upstream', 'list', ...target), set);
  await assert.rejects(sr('upstream', 'update', ...target, '--template', 'url-template=https://f.example/{who}'), /400 InvalidRequestContent: properties\.upstream\.templates\[0\]\.urlTemplate/);
  assert.deepEqual(await sr('upstream', 'clear', ...target), { templates: [] });
});

test('--template parsing', () => {
  assert.deepEqual(parseUpstreamTemplate(['url-template=https://x/', 'event-pattern=*']), { urlTemplate: 'https://x/', eventPattern: '*' });
  assert.throws(() => parseUpstreamTemplate(['hub-pattern=chat']), CliError);
  assert.throws(() => parseUpstreamTemplate(['url-template=https://x/', 'colour=red']), /keys: url-template/);
  assert.throws(() => parseUpstreamTemplate(['url-template=https://x/', 'auth-type=ManagedIdentity']), /auth-resource/);
});

test('delete stops the resource; show then fails with ARM\'s error', async () => {
  const shown = await sr('show', ...target);
  await sr('delete', ...target);
  await assert.rejects(fetch(`https://localhost:${shown.publicPort}/api/health`));
  await assert.rejects(sr('show', ...target), /404 ResourceNotFound/);
  assert.deepEqual((await sr('list')).map((r: any) => r.name), ['declared']);
});
