// SignalR resources (Microsoft.SignalRService/signalR) from the config file to running origins:
// validation with JSON paths, ready.json, health on both origins, the data-plane 404 of the seam,
// a restart keeping ports and generated keys, and the default world's SignalR resource.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, ConfigError } from '../../src/config/index.ts';
import { serviceModeOf } from '../../src/config/index.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Arm, RG, world } from './support.ts';

const T = '5c0a1d2e-0000-4000-8000-0000000000a5';
const S = '5c0a1d2e-0000-4000-8000-0000000000b5';
const PRIMARY = 'signalr-primary-key-0123456789abcdef';
const SECONDARY = 'signalr-secondary-key-0123456789abcd';

const SERVERLESS = {
  type: 'Microsoft.SignalRService/signalR', name: 'serverless', resourceGroup: RG,
  accessKeys: { primaryKey: PRIMARY, secondaryKey: SECONDARY },
  identity: { type: 'SystemAssigned' },
  tags: { env: 'test' },
  sku: { name: 'Premium_P1', capacity: 2 },
  properties: {
    features: [{ flag: 'ServiceMode', value: 'serverless' }, { flag: 'EnableConnectivityLogs', value: 'true' }],
    upstream: {
      templates: [{
        urlTemplate: 'http://127.0.0.1:7071/runtime/webhooks/signalr?hub={hub}&category={category}&event={event}',
        hubPattern: 'chat,news', eventPattern: '*', categoryPattern: 'connections,messages',
        auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } },
      }],
    },
    cors: { allowedOrigins: ['https://example.com'] },
    disableAadAuth: false,
  },
  limits: { maxConnections: 100 },
};

let lapis: TestLapis;

before(async () => {
  const config = world(T, S, [SERVERLESS, { type: 'Microsoft.SignalRService/signalR', name: 'plain', resourceGroup: RG }]) as { roleAssignments: object[] };
  // A SignalR resource's system identity can be named in role assignments, as a Web PubSub one's.
  config.roleAssignments.push({ principal: { systemAssignedIdentityOf: 'serverless' }, roleDefinitionName: 'Reader', scope: `/subscriptions/${S}` });
  lapis = await startTestLapis({ config });
});

after(async () => {
  await lapis?.stop();
});

const entry = (name: string) => lapis.ready.resources.find((r) => r.name === name)!;

test('ready.json lists each SignalR resource with its endpoints and connection string', () => {
  const r = entry('serverless');
  assert.equal(r.type, 'Microsoft.SignalRService/signalR');
  assert.equal(r.id, `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/signalR/serverless`);
  assert.match(r.endpoint!, /^https:\/\/localhost:\d+$/);
  assert.match(r.httpEndpoint!, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(r.connectionString, `Endpoint=${r.endpoint};AccessKey=${PRIMARY};Version=1.0;`);
  const plain = entry('plain');
  assert.match(plain.connectionString!, /^Endpoint=https:\/\/localhost:\d+;AccessKey=[A-Za-z0-9+/]{43}=;Version=1\.0;$/, 'keys are generated when not declared');
});

test('the record keeps the declared settings (flag names and modes in canonical spelling); Default mode when no ServiceMode', () => {
  const r = lapis.node.resources.signalR.get('serverless')!;
  assert.deepEqual(r.properties.features, [
    { flag: 'ServiceMode', value: 'Serverless', properties: {} },
    { flag: 'EnableConnectivityLogs', value: 'true', properties: {} },
  ]);
  assert.equal(serviceModeOf(r.properties.features), 'Serverless');
  assert.equal(r.properties.upstream.templates[0]!.categoryPattern, 'connections,messages');
  assert.deepEqual(r.properties.cors.allowedOrigins, ['https://example.com']);
  assert.equal(r.limits.maxConnections, 100);
  assert.deepEqual(r.sku, { name: 'Premium_P1', capacity: 2 });
  const mi = lapis.node.identity.directory.getManagedIdentityOf(r.id);
  assert.ok(mi, 'system identity created');
  assert.ok(lapis.node.access.listRoleAssignments({ scope: `/subscriptions/${S}`, atScope: true, principalId: mi.principalId }).length === 1, 'named in a role assignment');
  const plain = lapis.node.resources.signalR.get('plain')!;
  assert.equal(serviceModeOf(plain.properties.features), 'Default');
  assert.deepEqual(plain.properties.cors.allowedOrigins, ['*']);
  assert.equal(plain.properties.disableLocalAuth, false);
  assert.equal(plain.properties.disableAadAuth, false);
});

test('both origins answer /api/health (GET and HEAD) and unknown routes in the data plane\'s shape', async () => {
  for (const base of [entry('serverless').endpoint!, entry('serverless').httpEndpoint!, entry('plain').endpoint!]) {
    const get = await fetch(`${base}/api/health`);
    assert.equal(get.status, 200, base);
    assert.equal((await fetch(`${base}/api/health`, { method: 'HEAD' })).status, 200, base);
    const other = await fetch(`${base}/no/such/route`);
    assert.equal(other.status, 404, 'the data plane answers unknown routes itself');
    assert.match(other.headers.get('content-type') ?? '', /json/);
    assert.equal(typeof (await other.json() as { code?: unknown }).code, 'string');
  }
});

test('a restart keeps ports and generated keys', async () => {
  const before = { s: entry('serverless'), p: entry('plain') };
  await lapis.restart();
  assert.deepEqual(entry('serverless'), before.s);
  assert.deepEqual(entry('plain'), before.p);
  assert.equal((await fetch(`${entry('plain').endpoint}/api/health`)).status, 200);
});

/** The problems a config gets, as `$.path: message` lines. */
function problems(resource: object): string[] {
  try {
    validateConfig({ resources: [resource] });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

test('the config refuses what Azure refuses (or Lapis cannot honour), with JSON paths', () => {
  const base = { type: 'Microsoft.SignalRService/signalR', name: 'sr-1', resourceGroup: RG };
  const withProps = (properties: object) => problems({ ...base, properties });
  assert.deepEqual(problems(base), []);
  assert.match(withProps({ features: [{ flag: 'ServiceMode', value: 'Classic' }] })[0]!, /^\$\.resources\[0\]\.properties\.features\[0\]\.value: service mode 'Classic' is not supported/);
  assert.match(withProps({ features: [{ flag: 'ServiceMode', value: 'Nope' }] })[0]!, /features\[0\]\.value: 'Nope' is not a service mode/);
  assert.match(withProps({ features: [{ flag: 'Turbo', value: 'True' }] })[0]!, /features\[0\]\.flag: unknown feature flag 'Turbo'/);
  assert.match(withProps({ features: [{ flag: 'EnableLiveTrace', value: 'yes' }] })[0]!, /features\[0\]\.value: feature EnableLiveTrace takes True or False/);
  assert.match(withProps({ features: [{ flag: 'ServiceMode', value: 'Default' }, { flag: 'servicemode', value: 'Serverless' }] })[0]!, /features\[1\]\.flag: feature ServiceMode is listed twice/);
  const template = (t: object) => withProps({ upstream: { templates: [{ urlTemplate: 'https://h.example/api', ...t }] } });
  assert.match(template({ urlTemplate: 'https://h.example/{user}' })[0]!, /upstream\.templates\[0\]\.urlTemplate: unknown placeholder '\{user\}'/);
  assert.match(template({ urlTemplate: 'https://{hub}.example/' })[0]!, /urlTemplate: placeholders are not allowed in the host/);
  assert.match(template({ urlTemplate: 'ftp://h.example/' })[0]!, /urlTemplate: the URL template must start with http/);
  assert.match(template({ categoryPattern: 'connections,things' })[0]!, /categoryPattern: 'things' is not a category/);
  assert.match(template({ hubPattern: 'a,,b' })[0]!, /hubPattern: empty name/);
  assert.match(template({ auth: { type: 'ManagedIdentity', managedIdentity: { resource: ' ' } } })[0]!, /auth\.managedIdentity\.resource/);
  assert.match(template({ extra: 1 })[0]!, /upstream\.templates\[0\]/);
  assert.match(withProps({ cors: { allowedOrigins: ['example.com'] } })[0]!, /cors\.allowedOrigins\[0\]: expected '\*' or an origin/);
  assert.match(withProps({ networkACLs: {} })[0]!, /^\$\.resources\[0\]\.properties/);
  assert.match(problems({ ...base, hubs: [] })[0]!, /^\$\.resources\[0\]/, 'hubs are Web PubSub\'s');
  assert.match(problems({ ...base, name: 'x' })[0]!, /^\$\.resources\[0\]\.name/);
  assert.match(problems({ ...base, sku: { name: 'Basic' } })[0]!, /^\$\.resources\[0\]\.sku\.name/);
});

test('a ManagedIdentity template must name an application of the tenant, and names are unique across kinds', async () => {
  const bad = { type: 'Microsoft.SignalRService/signalR', name: 'sr-1', resourceGroup: RG, properties: { upstream: { templates: [{ urlTemplate: 'https://h.example/', auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://nobody' } } }] } } };
  await assert.rejects(startTestLapis({ config: { resources: [bad] } }), /\$\.resources\[0\]\.properties\.upstream\.templates\[0\]\.auth\.managedIdentity\.resource: 'api:\/\/nobody'/);
  assert.match(problemsOf({ resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'same', resourceGroup: RG }, { type: 'Microsoft.SignalRService/signalR', name: 'Same', resourceGroup: RG }] })[0]!, /\$\.resources\[1\]\.name: duplicate resource name/);
});

function problemsOf(config: object): string[] {
  try {
    validateConfig(config);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

test('the default world (no config file) has a SignalR resource, Serverless (declared), next to the Web PubSub one', async () => {
  const fresh = await startTestLapis();
  try {
    assert.deepEqual(fresh.ready.resources.map((r) => `${r.type} ${r.name}`), ['Microsoft.SignalRService/webPubSub webpubsub', 'Microsoft.SignalRService/signalR signalr']);
    const r = fresh.node.resources.signalR.get('signalr')!;
    assert.equal(serviceModeOf(r.properties.features), 'Serverless');
    assert.equal(r.identity.type, 'SystemAssigned');
    assert.equal((await fetch(`${fresh.ready.resources[1]!.endpoint}/api/health`)).status, 200);
  } finally {
    await fresh.stop();
  }
});

test('a declared SignalR resource whose name a run-time resource of another kind holds stops start-up with the path', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lapis-sr-clash-'));
  try {
    const first = await startTestLapis({ dataDir, config: world(T, S, []) });
    const made = await new Arm(first).admin('PUT', new Arm(first).path('clash'), { location: 'local' });
    assert.equal(made.status, 201);
    await first.stop();
    await assert.rejects(
      startTestLapis({ dataDir, config: world(T, S, [{ type: 'Microsoft.SignalRService/signalR', name: 'clash', resourceGroup: RG }]) }),
      /\$\.resources\[0\]\.name: the name 'clash' is already used by a Microsoft\.SignalRService\/webPubSub resource/,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
