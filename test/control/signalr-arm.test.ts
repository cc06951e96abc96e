// The ARM-shaped Microsoft.SignalRService/SignalR API on the main origin, through a full Lapis (raw
// HTTP: there is no official SignalR management SDK among the test clients): Azure's GET shape,
// lists, keys, identity, features/upstream round trips, refused settings, RBAC, a resource created
// at run time that serves at once, DELETE stopping its origins, and a restart keeping it all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { API, Arm, NOBODY, READER, RG, uamiId, world } from './support.ts';

const T = '5c0a1d2e-0000-4000-8000-0000000000a6';
const S = '5c0a1d2e-0000-4000-8000-0000000000b6';
const PRIMARY = 'signalr-arm-primary-key-0123456789ab';
const SECONDARY = 'signalr-arm-secondary-key-0123456789';
const UAMI1 = uamiId(S, 'uami-1');

let lapis: TestLapis;
let arm: Arm;

before(async () => {
  lapis = await startTestLapis({
    config: world(T, S, [
      { type: 'Microsoft.SignalRService/signalR', name: 'sr-chat', resourceGroup: RG, accessKeys: { primaryKey: PRIMARY, secondaryKey: SECONDARY } },
      { type: 'Microsoft.SignalRService/webPubSub', name: 'wps-chat', resourceGroup: RG },
    ]),
  });
  arm = new Arm(lapis);
});

after(async () => {
  await lapis?.stop();
});

const path = (name: string, rest = '', rg = RG) => `/subscriptions/${S}/resourceGroups/${rg}/providers/Microsoft.SignalRService/signalR/${name}${rest}?${API}`;
const id = (name: string) => `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/signalR/${name}`;
const readyFile = () => JSON.parse(readFileSync(join(lapis.dataDir, 'ready.json'), 'utf8'));
const endpointOf = (name: string) => lapis.ready.resources.find((r) => r.name === name)?.endpoint;

test('GET in Azure\'s shape; lists by resource group and subscription; 404 elsewhere', async () => {
  const got = await arm.admin('GET', path('sr-chat'));
  assert.equal(got.status, 200, JSON.stringify(got.body));
  const r = got.body;
  assert.equal(r.id, id('sr-chat'));
  assert.equal(r.type, 'Microsoft.SignalRService/SignalR');
  assert.equal(r.kind, 'SignalR');
  assert.deepEqual(r.sku, { name: 'Standard_S1', tier: 'Standard', size: 'S1', capacity: 1 });
  assert.deepEqual(r.identity, { type: 'None' });
  const p = r.properties;
  assert.equal(p.provisioningState, 'Succeeded');
  assert.equal(`https://${p.hostName}:${p.publicPort}`, endpointOf('sr-chat'));
  assert.equal(p.serverPort, p.publicPort);
  assert.equal(p.externalIP, '127.0.0.1');
  assert.deepEqual(p.features, []);
  assert.deepEqual(p.upstream, { templates: [] });
  assert.deepEqual(p.cors, { allowedOrigins: ['*'] });
  assert.equal(p.disableLocalAuth, false);
  assert.equal(p.disableAadAuth, false);

  const byGroup = await arm.admin('GET', `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/signalR?${API}`);
  assert.deepEqual(byGroup.body.value.map((x: any) => x.name), ['sr-chat'], 'only SignalR resources');
  const bySub = await arm.admin('GET', `/subscriptions/${S}/providers/Microsoft.SignalRService/SignalR?${API}`);
  assert.ok(bySub.body.value.some((x: any) => x.id === id('sr-chat')));
  const wrongGroup = await arm.admin('GET', path('sr-chat', '', 'rg-2'));
  assert.equal(wrongGroup.status, 404);
  assert.equal(wrongGroup.body.error.code, 'ResourceNotFound');
  assert.match(wrongGroup.body.error.message, /Microsoft\.SignalRService\/signalR\/sr-chat/);
  const asWps = await arm.admin('GET', arm.path('sr-chat'));
  assert.equal(asWps.status, 404, 'a SignalR resource is not a Web PubSub resource');
  const oldVersion = await arm.admin('GET', `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/signalR/sr-chat?api-version=2018-10-01`);
  assert.equal(oldVersion.status, 200);
  const badVersion = await arm.admin('GET', `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/signalR/sr-chat?api-version=2017-01-01`);
  assert.equal(badVersion.body.error.code, 'NoRegisteredProviderFound');
});

test('listKeys / regenerateKey: keys and connection strings change, one key at a time', async () => {
  const keys = await arm.admin('POST', path('sr-chat', '/listKeys'));
  assert.equal(keys.status, 200);
  assert.equal(keys.body.primaryKey, PRIMARY);
  assert.equal(keys.body.primaryConnectionString, `Endpoint=${endpointOf('sr-chat')};AccessKey=${PRIMARY};Version=1.0;`);
  const renewed = await arm.admin('POST', path('sr-chat', '/regenerateKey'), { keyType: 'Primary' });
  assert.equal(renewed.status, 200);
  assert.notEqual(renewed.body.primaryKey, PRIMARY);
  assert.equal(renewed.body.secondaryKey, SECONDARY, 'the other key keeps working');
  assert.equal(renewed.body.primaryConnectionString, `Endpoint=${endpointOf('sr-chat')};AccessKey=${renewed.body.primaryKey};Version=1.0;`);
  assert.equal(lapis.node.resources.signalR.get('sr-chat')!.accessKeys.primaryKey, renewed.body.primaryKey, 'the data plane reads the new key');
  const salt = lapis.node.resources.signalR.get('sr-chat')!.internalKey;
  const salted = await arm.admin('POST', path('sr-chat', '/regenerateKey'), { keyType: 'salt' });
  assert.equal(salted.body.primaryKey, renewed.body.primaryKey);
  assert.notEqual(lapis.node.resources.signalR.get('sr-chat')!.internalKey, salt);
  const bad = await arm.admin('POST', path('sr-chat', '/regenerateKey'), { keyType: 'Tertiary' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'InvalidRequestContent');
});

test('identity: SystemAssigned, UserAssigned, None — the directory follows', async () => {
  const sys = await arm.admin('PATCH', path('sr-chat'), { identity: { type: 'SystemAssigned' } });
  assert.equal(sys.status, 200, JSON.stringify(sys.body));
  const mi = lapis.node.identity.directory.getManagedIdentityOf(id('sr-chat'))!;
  assert.deepEqual(sys.body.identity, { type: 'SystemAssigned', principalId: mi.principalId, tenantId: T });
  const ua = await arm.admin('PATCH', path('sr-chat'), { identity: { type: 'UserAssigned', userAssignedIdentities: { [UAMI1]: {} } } });
  assert.equal(ua.body.identity.type, 'UserAssigned');
  assert.equal(lapis.node.identity.directory.getManagedIdentityOf(id('sr-chat')), undefined, 'system identity deleted');
  const both = await arm.admin('PATCH', path('sr-chat'), { identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [UAMI1]: {} } } });
  assert.equal(both.status, 400);
  assert.equal(both.body.error.code, 'InvalidIdentityType');
  const none = await arm.admin('PATCH', path('sr-chat'), { identity: { type: 'None' } });
  assert.deepEqual(none.body.identity, { type: 'None' });
});

const SETTINGS = {
  features: [
    { flag: 'ServiceMode', value: 'Serverless', properties: {} },
    { flag: 'EnableMessagingLogs', value: 'False', properties: {} },
  ],
  upstream: {
    templates: [{
      urlTemplate: 'https://functions.example/runtime/webhooks/signalr?event={event}', hubPattern: '*', eventPattern: 'connected,disconnected', categoryPattern: 'connections',
      auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } },
    }],
  },
  cors: { allowedOrigins: ['https://app.example', 'http://localhost:3000'] },
};

test('features, upstream and cors: PUT, GET → PUT round trip, PATCH merges features by flag', async () => {
  const put = await arm.admin('PUT', path('sr-chat'), { location: 'local', properties: SETTINGS });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.deepEqual(put.body.properties.features, SETTINGS.features);
  assert.deepEqual(put.body.properties.upstream, SETTINGS.upstream);
  assert.deepEqual(put.body.properties.cors, SETTINGS.cors);
  const got = (await arm.admin('GET', path('sr-chat'))).body;
  const again = await arm.admin('PUT', path('sr-chat'), got);
  assert.equal(again.status, 200, `GET → PUT: ${JSON.stringify(again.body)}`);
  assert.deepEqual(again.body, got);

  const patched = await arm.admin('PATCH', path('sr-chat'), { properties: { features: [{ flag: 'servicemode', value: 'default' }] } });
  assert.equal(patched.status, 200);
  assert.deepEqual(patched.body.properties.features, [
    { flag: 'EnableMessagingLogs', value: 'False', properties: {} },
    { flag: 'ServiceMode', value: 'Default', properties: {} },
  ], 'flags a PATCH does not name keep their values; spelling is canonical');
  assert.deepEqual(patched.body.properties.upstream, SETTINGS.upstream, 'PATCH keeps what it does not name');
  const replaced = await arm.admin('PUT', path('sr-chat'), { location: 'local', properties: { disableAadAuth: true, disableLocalAuth: true } });
  assert.deepEqual(replaced.body.properties.features, [], 'PUT replaces');
  assert.deepEqual(replaced.body.properties.upstream, { templates: [] });
  assert.equal(replaced.body.properties.disableAadAuth, true);
  assert.equal(lapis.node.resources.signalR.get('sr-chat')!.properties.disableLocalAuth, true);
  await arm.admin('PUT', path('sr-chat'), { location: 'local' });
});

test('settings Lapis cannot honour are refused with 400 naming the property, and change nothing', async () => {
  const before = lapis.node.resources.signalR.get('sr-chat');
  const refused: [object, RegExp][] = [
    [{ features: [{ flag: 'ServiceMode', value: 'Classic' }] }, /^properties\.features\[0\]\.value: service mode 'Classic'/],
    [{ features: [{ flag: 'Bogus', value: 'True' }] }, /^properties\.features\[0\]\.flag/],
    [{ upstream: { templates: [{ urlTemplate: 'https://x.example/{nope}' }] } }, /^properties\.upstream\.templates\[0\]\.urlTemplate/],
    [{ upstream: { templates: [{ urlTemplate: 'https://x.example/', auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://unknown' } } }] } }, /properties\.upstream\.templates\[0\]\.auth\.managedIdentity\.resource/],
    [{ networkACLs: { defaultAction: 'Deny' } }, /^properties\.networkACLs: network ACLs are not supported/],
    [{ serverless: { connectionTimeoutInSeconds: 60 } }, /^properties\.serverless\.connectionTimeoutInSeconds/],
    [{ publicNetworkAccess: 'Disabled' }, /^properties\.publicNetworkAccess/],
    [{ liveTraceConfiguration: { enabled: 'true' } }, /^properties\.liveTraceConfiguration/],
    [{ resourceStopped: 'true' }, /^properties\.resourceStopped/],
    [{ cors: { allowedOrigins: ['not an origin'] } }, /^properties\.cors\.allowedOrigins\[0\]/],
    [{ somethingNew: 1 }, /^properties/],
  ];
  for (const [properties, message] of refused) {
    const res = await arm.admin('PATCH', path('sr-chat'), { properties });
    assert.equal(res.status, 400, JSON.stringify(properties));
    assert.equal(res.body.error.code, 'InvalidRequestContent');
    assert.match(res.body.error.message, message);
  }
  const sku = await arm.admin('PATCH', path('sr-chat'), { sku: { name: 'Basic_B1' } });
  assert.equal(sku.status, 400);
  assert.deepEqual(lapis.node.resources.signalR.get('sr-chat'), before, 'nothing changed');
});

test('RBAC: Reader reads but cannot list keys or write; no role 403; no token 401', async () => {
  assert.equal((await arm.as(READER, 'GET', path('sr-chat'))).status, 200);
  const keys = await arm.as(READER, 'POST', path('sr-chat', '/listKeys'));
  assert.equal(keys.status, 403);
  assert.equal(keys.body.error.code, 'AuthorizationFailed');
  assert.match(keys.body.error.message, /Microsoft\.SignalRService\/SignalR\/listkeys\/action/);
  const write = await arm.as(READER, 'PATCH', path('sr-chat'), { tags: { a: 'b' } });
  assert.match(write.body.error.message, /Microsoft\.SignalRService\/SignalR\/write/);
  assert.equal((await arm.as(NOBODY, 'GET', path('sr-chat'))).status, 403);
  assert.equal((await arm.anonymous('GET', path('sr-chat'))).status, 401);
});

test('PUT of a new resource starts its origins at once; a name taken by another kind is refused', async () => {
  const taken = await arm.admin('PUT', path('wps-chat'), { location: 'local' });
  assert.equal(taken.status, 409);
  assert.equal(taken.body.error.code, 'NameNotAvailable');
  const noLocation = await arm.admin('PUT', path('made-live'), {});
  assert.equal(noLocation.body.error.code, 'LocationRequired');

  const made = await arm.admin('PUT', path('made-live'), {
    location: 'westeurope', identity: { type: 'SystemAssigned' }, tags: { team: 'x' },
    properties: { features: [{ flag: 'ServiceMode', value: 'Serverless' }] },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal(made.body.location, 'westeurope');
  assert.equal(made.body.identity.type, 'SystemAssigned');
  const endpoint = `https://localhost:${made.body.properties.publicPort}`;
  assert.equal((await fetch(`${endpoint}/api/health`)).status, 200, 'the new origin answers at once');
  const entry = readyFile().resources.find((r: { name: string }) => r.name === 'made-live');
  assert.equal(entry.endpoint, endpoint);
  assert.equal((await fetch(`${entry.httpEndpoint}/api/health`)).status, 200);
  const keys = await arm.admin('POST', path('made-live', '/listKeys'));
  assert.equal(entry.connectionString, keys.body.primaryConnectionString);
  const patched = await arm.admin('PATCH', path('made-live'), { properties: { cors: { allowedOrigins: ['https://a.example'] } } });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.properties.features[0].value, 'Serverless');
});

test('a restart keeps the created resource (serving, same ports, same keys)', async () => {
  const before = readyFile().resources.find((r: { name: string }) => r.name === 'made-live');
  await lapis.restart();
  arm = new Arm(lapis);
  const after = lapis.ready.resources.find((r) => r.name === 'made-live')!;
  assert.deepEqual({ ...after }, before);
  assert.equal((await fetch(`${after.endpoint}/api/health`)).status, 200);
  assert.deepEqual(lapis.node.resources.signalR.get('made-live')!.properties.cors.allowedOrigins, ['https://a.example']);
});

test('DELETE stops the origins, removes the record, its system identity and its ready.json entry', async () => {
  const entry = lapis.ready.resources.find((r) => r.name === 'made-live')!;
  const res = await arm.admin('DELETE', path('made-live'));
  assert.equal(res.status, 200);
  await assert.rejects(fetch(`${entry.endpoint}/api/health`), 'the HTTPS origin is closed');
  await assert.rejects(fetch(`${entry.httpEndpoint}/api/health`), 'the HTTP origin is closed');
  assert.equal(lapis.node.resources.signalR.get('made-live'), undefined);
  assert.equal(lapis.node.identity.directory.getManagedIdentityOf(id('made-live')), undefined);
  assert.equal(readyFile().resources.some((r: { name: string }) => r.name === 'made-live'), false);
  assert.equal((await arm.admin('DELETE', path('made-live'))).status, 204, 'again: nothing to delete');
  assert.equal((await arm.admin('GET', path('made-live'))).status, 404);
  assert.equal((await fetch(`${endpointOf('sr-chat')}/api/health`)).status, 200, 'other resources keep serving');
});
