// `lapis webpubsub …` (named after `az webpubsub …`) as a child process, as a user runs it, against a
// Lapis in this process: the CLI reads ready.json from the data directory, authenticates as the host's
// managed identity and calls the ARM-shaped API on the main origin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { RG, uamiId, world } from './support.ts';
import { parseEventHandlers } from '../../src/cli/webpubsub.ts';
import { CliError } from '../../src/cli/client.ts';

const T = '5c0a1d2e-0000-4000-8000-0000000000a3';
const S = '5c0a1d2e-0000-4000-8000-0000000000b3';
const UAMI1 = uamiId(S, 'uami-1');
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'lapis.js');

let lapis: TestLapis;

before(async () => {
  lapis = await startTestLapis({ config: world(T, S, [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: RG }]) });
});

after(async () => {
  await lapis?.stop();
});

/** Runs `lapis webpubsub <args> -d <data dir>`; resolves with the printed JSON, rejects with stderr and the exit code. */
function wps(...args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, 'webpubsub', ...args, '-d', lapis.dataDir], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(Object.assign(new Error(stderr.trim() || err.message), { exitCode: err.code }));
      resolve(stdout.trim() ? JSON.parse(stdout) : undefined);
    });
  });
}

const target = ['-n', 'chat', '-g', RG];
const dir = () => lapis.node.identity.directory;

test('list / show print the resource with properties flattened, as az does', async () => {
  const list = await wps('list');
  assert.deepEqual(list.map((r: any) => r.name), ['chat']);
  assert.deepEqual(await wps('list', '-g', 'rg-2'), []);
  const shown = await wps('show', ...target);
  assert.equal(shown.id, `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/webPubSub/chat`);
  assert.equal(shown.provisioningState, 'Succeeded');
  assert.equal(shown.hostName, 'localhost');
  assert.equal(shown.disableLocalAuth, false);
});

test('identity assign [system] / <uami id> / remove, and the one-identity errors', async () => {
  const sys = await wps('identity', 'assign', ...target, '--identity', '[system]');
  const mi = dir().getManagedIdentityOf(sys.id)!;
  assert.deepEqual(sys.identity, { type: 'SystemAssigned', principalId: mi.principalId, tenantId: T });
  assert.deepEqual(await wps('identity', 'show', ...target), sys.identity);

  const ua = await wps('identity', 'assign', ...target, '--identity', UAMI1);
  assert.equal(ua.identity.type, 'UserAssigned');
  assert.equal(ua.identity.userAssignedIdentities[UAMI1].principalId, dir().findManagedIdentity({ resourceId: UAMI1 })!.principalId);
  assert.equal(dir().getManagedIdentityOf(sys.id), undefined, 'the system identity was deleted');

  await assert.rejects(wps('identity', 'assign', ...target, '--identity', `${UAMI1}-missing`), (e: any) => e.exitCode === 2 && /400 InvalidUserAssignedIdentity/.test(e.message));
  const removed = await wps('identity', 'remove', ...target);
  assert.deepEqual(removed.identity, { type: 'None' });
  await assert.rejects(wps('identity', 'assign', '-n', 'nosuch', '-g', RG, '--identity', '[system]'), (e: any) => /404 ResourceNotFound/.test(e.message));
});

test('key show / key regenerate; update --disable-local-auth', async () => {
  const keys = await wps('key', 'show', ...target);
  assert.match(keys.primaryConnectionString, /^Endpoint=https:\/\/localhost:\d+;AccessKey=.{44};Version=1\.0;$/);
  await new WebPubSubServiceClient(keys.secondaryConnectionString, 'chat').sendToAll('hi', { contentType: 'text/plain' });
  const regen = await wps('key', 'regenerate', ...target, '--key-type', 'secondary');
  assert.equal(regen.primaryKey, keys.primaryKey);
  assert.notEqual(regen.secondaryKey, keys.secondaryKey);
  await assert.rejects(new WebPubSubServiceClient(keys.secondaryConnectionString, 'chat').sendToAll('hi', { contentType: 'text/plain' }), (e: any) => e.statusCode === 401);
  await assert.rejects(wps('key', 'regenerate', ...target, '--key-type', 'tertiary'), (e: any) => /Allowed choices are primary, secondary, salt/.test(e.message));

  assert.equal((await wps('update', ...target, '--disable-local-auth')).disableLocalAuth, true);
  assert.equal(lapis.node.resources.get('chat')!.properties.disableLocalAuth, true);
  assert.equal((await wps('update', ...target, '--disable-local-auth', 'false')).disableLocalAuth, false);
});

test('hub create / show / list / update / delete, with az\'s --event-handler key=value form', async () => {
  const hub = [...target, '--hub-name', 'lobby'];
  const created = await wps('hub', 'create', ...hub,
    '--event-handler', 'url-template=http://127.0.0.1:9/a/{event}', 'user-event-pattern=*', 'system-event=connect', 'system-event=connected',
    'auth-type=ManagedIdentity', 'auth-resource=api://upstream',
    '--event-handler', 'url-template=http://127.0.0.1:9/b/{event}', 'system-event=disconnected',
    '--allow-anonymous');
  assert.equal(created.type, 'Microsoft.SignalRService/WebPubSub/hubs');
  assert.deepEqual(created.properties.eventHandlers, [
    { urlTemplate: 'http://127.0.0.1:9/a/{event}', userEventPattern: '*', systemEvents: ['connect', 'connected'], auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } } },
    { urlTemplate: 'http://127.0.0.1:9/b/{event}', systemEvents: ['disconnected'] },
  ]);
  assert.equal(created.properties.anonymousConnectPolicy, 'allow');
  assert.deepEqual(await wps('hub', 'show', ...hub), created);
  assert.deepEqual((await wps('hub', 'list', ...target)).map((h: any) => h.name), ['lobby']);

  const updated = await wps('hub', 'update', ...hub, '--allow-anonymous', 'false');
  assert.equal(updated.properties.anonymousConnectPolicy, 'deny');
  assert.deepEqual(updated.properties.eventHandlers, created.properties.eventHandlers, 'handlers kept');
  const cleared = await wps('hub', 'update', ...hub, '--clear-event-handlers');
  assert.deepEqual(cleared.properties.eventHandlers, []);

  await assert.rejects(wps('hub', 'create', ...hub, '--event-handler', 'url-template=ftp://x/{event}'),
    (e: any) => e.exitCode === 2 && /400 InvalidRequestContent: properties\.eventHandlers\[0\]\.urlTemplate: /.test(e.message));
  await assert.rejects(wps('hub', 'create', ...hub, '--event-handler', 'url-template=http://127.0.0.1:9/', 'auth-type=ManagedIdentity', 'auth-resource=api://nobody'),
    (e: any) => /properties\.eventHandlers\[0\]\.auth\.managedIdentity\.resource: 'api:\/\/nobody' is neither/.test(e.message));

  await wps('hub', 'delete', ...hub);
  await assert.rejects(wps('hub', 'show', ...hub), (e: any) => /404 ResourceNotFound/.test(e.message));
  assert.deepEqual(await wps('hub', 'list', ...target), []);
});

test('--event-handler parsing: a new url-template starts the next handler; bad pairs are named', () => {
  assert.deepEqual(parseEventHandlers(['url-template=http://a/{event}', 'system-event=connect,connected', 'url-template=http://b/', 'auth-type=None']), [
    { urlTemplate: 'http://a/{event}', systemEvents: ['connect', 'connected'] },
    { urlTemplate: 'http://b/', auth: { type: 'None' } },
  ]);
  assert.throws(() => parseEventHandlers(['user-event-pattern=*']), (e: unknown) => e instanceof CliError && /handler 1 has no url-template/.test(e.message));
  assert.throws(() => parseEventHandlers(['url-template=http://a/', 'colour=blue']), (e: unknown) => e instanceof CliError && /unknown key 'colour'/.test(e.message));
  assert.throws(() => parseEventHandlers(['url-template=http://a/', 'auth-type=ManagedIdentity']), (e: unknown) => e instanceof CliError && /no auth-resource/.test(e.message));
});
