// The ARM-shaped Microsoft.SignalRService API on the main origin, through a full Lapis: resource
// identity (None → SystemAssigned → UserAssigned → None, with the directory following), Azure's
// one-identity rule, keys with the unmodified @azure/web-pubsub SDK on the data plane, hub settings
// and their validation, RBAC (401/403), and a resource created by PUT that serves clients at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { API, Arm, DATA_OWNER, NOBODY, READER, RG, uamiId, world } from './support.ts';
import { until, within } from '../upstream/support.ts';

const T = '5c0a1d2e-0000-4000-8000-0000000000a1';
const S = '5c0a1d2e-0000-4000-8000-0000000000b1';
const PRIMARY = 'arm-test-primary-key-0123456789abcdef';
const SECONDARY = 'arm-test-secondary-key-0123456789abcd';
const UAMI1 = uamiId(S, 'uami-1');
const UAMI2 = uamiId(S, 'uami-2');

let lapis: TestLapis;
let arm: Arm;

before(async () => {
  lapis = await startTestLapis({
    config: world(T, S, [
      { type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: RG, accessKeys: { primaryKey: PRIMARY, secondaryKey: SECONDARY } },
      { type: 'Microsoft.SignalRService/webPubSub', name: 'keys', resourceGroup: RG, accessKeys: { primaryKey: PRIMARY, secondaryKey: SECONDARY } },
      { type: 'Microsoft.SignalRService/webPubSub', name: 'hubby', resourceGroup: RG },
      { type: 'Microsoft.SignalRService/webPubSub', name: 'elsewhere', resourceGroup: 'rg-3' },
    ]),
  });
  arm = new Arm(lapis);
});

after(async () => {
  await lapis?.stop();
});

const dir = () => lapis.node.identity.directory;
const spIds = () => new Set(dir().servicePrincipals().map((s) => s.id));

test('GET a resource and list them, in ARM\'s shape', async () => {
  const got = await arm.admin('GET', arm.path('chat'));
  assert.equal(got.status, 200, JSON.stringify(got.body));
  const r = got.body;
  assert.equal(r.id, arm.id('chat'));
  assert.equal(r.name, 'chat');
  assert.equal(r.type, 'Microsoft.SignalRService/WebPubSub');
  assert.equal(r.location, 'local');
  assert.equal(r.sku.name, 'Standard_S1');
  assert.deepEqual(r.identity, { type: 'None' });
  assert.equal(r.properties.provisioningState, 'Succeeded');
  assert.equal(r.properties.hostName, 'localhost');
  const endpoint = lapis.ready.resources.find((x) => x.name === 'chat')!.endpoint!;
  assert.equal(`https://${r.properties.hostName}:${r.properties.publicPort}`, endpoint);
  assert.equal(r.properties.disableLocalAuth, false);

  const byGroup = await arm.admin('GET', `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/webPubSub?${API}`);
  assert.deepEqual(byGroup.body.value.map((x: any) => x.name), ['chat', 'hubby', 'keys']);
  const bySub = await arm.admin('GET', `/subscriptions/${S}/providers/Microsoft.SignalRService/webPubSub?${API}`);
  assert.ok(bySub.body.value.some((x: any) => x.id === arm.id('chat')));
  const otherGroup = await arm.admin('GET', `/subscriptions/${S}/resourceGroups/rg-2/providers/Microsoft.SignalRService/webPubSub?${API}`);
  assert.deepEqual(otherGroup.body.value, []);

  const missing = await arm.admin('GET', arm.path('chat', '', 'rg-2'));
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'ResourceNotFound');
});

test('api-version: required; the versions the SDKs send are accepted, others refused', async () => {
  const none = await arm.admin('GET', arm.path('chat', '', RG, ''));
  assert.equal(none.status, 400);
  assert.equal(none.body.error.code, 'MissingApiVersionParameter');
  const bad = await arm.admin('GET', arm.path('chat', '', RG, 'api-version=2019-01-01'));
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'NoRegisteredProviderFound');
  assert.match(bad.body.error.message, /2024-03-01/);
  for (const v of ['2021-10-01', '2023-02-01', '2024-10-01-preview']) {
    assert.equal((await arm.admin('GET', arm.path('chat', '', RG, `api-version=${v}`))).status, 200, v);
  }
  // The Microsoft.Authorization API keeps its own versions and routes, also below a Web PubSub scope.
  const assignments = await arm.admin('GET', `${arm.id('chat')}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`);
  assert.equal(assignments.status, 200, JSON.stringify(assignments.body));
  const unknownType = await arm.admin('GET', `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/notAType?${API}`);
  assert.equal(unknownType.status, 404);
  assert.equal(unknownType.body.error.code, 'InvalidResourceType');
});

test('identity None → SystemAssigned → UserAssigned → None: the directory follows', async () => {
  const id = arm.id('chat');
  const before = spIds();

  const sys = await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'SystemAssigned' } });
  assert.equal(sys.status, 200, JSON.stringify(sys.body));
  const mi = dir().getManagedIdentityOf(id);
  assert.ok(mi, 'the system identity exists');
  assert.equal(mi.type, 'SystemAssigned');
  assert.deepEqual(sys.body.identity, { type: 'SystemAssigned', principalId: mi.principalId, tenantId: T });
  assert.ok(spIds().has(mi.principalId), 'its service principal was created');
  assert.ok(!before.has(mi.principalId));
  assert.equal(lapis.node.resources.get('chat')!.identity.type, 'SystemAssigned', 'the running services read the new identity');
  // Idempotent: asking again keeps the same principal.
  await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'SystemAssigned' } });
  assert.equal(dir().getManagedIdentityOf(id)!.principalId, mi.principalId);

  const ua = await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'UserAssigned', userAssignedIdentities: { [UAMI1]: {} } } });
  assert.equal(ua.status, 200, JSON.stringify(ua.body));
  const uami = dir().findManagedIdentity({ resourceId: UAMI1 })!;
  assert.deepEqual(ua.body.identity, { type: 'UserAssigned', userAssignedIdentities: { [UAMI1]: { principalId: uami.principalId, clientId: uami.clientId } } });
  assert.equal(dir().getManagedIdentityOf(id), undefined, 'the system identity is gone');
  assert.ok(!spIds().has(mi.principalId), 'and its service principal deleted');
  assert.deepEqual(lapis.node.resources.get('chat')!.identity, { type: 'UserAssigned', userAssignedIdentity: UAMI1 });

  const got = await arm.admin('GET', arm.path('chat'));
  assert.deepEqual(got.body.identity, ua.body.identity);

  const none = await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'None' } });
  assert.equal(none.status, 200);
  assert.deepEqual(none.body.identity, { type: 'None' });
  assert.deepEqual(lapis.node.resources.get('chat')!.identity, { type: 'None' });
  assert.ok(spIds().has(uami.principalId), 'a user-assigned identity outlives its use');
});

test('Azure\'s one-identity rule: both kinds, or two user-assigned identities, are refused and change nothing', async () => {
  await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'SystemAssigned' } });
  const mi = dir().getManagedIdentityOf(arm.id('chat'))!;

  const both = await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [UAMI1]: {} } } });
  assert.equal(both.status, 400);
  assert.equal(both.body.error.code, 'InvalidIdentityType');
  assert.match(both.body.error.message, /only one managed identity/);

  const two = await arm.admin('PUT', arm.path('chat'), { location: 'local', identity: { type: 'UserAssigned', userAssignedIdentities: { [UAMI1]: {}, [UAMI2]: {} } } });
  assert.equal(two.status, 400);
  assert.equal(two.body.error.code, 'InvalidIdentity');
  assert.match(two.body.error.message, /only one managed identity.*2 user-assigned identities/);

  const empty = await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'UserAssigned' } });
  assert.equal(empty.status, 400);
  assert.equal(empty.body.error.code, 'InvalidIdentity');

  const unknown = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope`;
  const missing = await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'UserAssigned', userAssignedIdentities: { [unknown]: {} } } });
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.code, 'InvalidUserAssignedIdentity');
  assert.match(missing.body.error.message, /userAssignedIdentities\/nope' was not found/);

  assert.equal(dir().getManagedIdentityOf(arm.id('chat'))?.principalId, mi.principalId, 'the system identity is untouched');
  assert.equal(lapis.node.resources.get('chat')!.identity.type, 'SystemAssigned');
  await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'None' } });
});

test('PUT replaces (no identity = none; disableLocalAuth); PATCH changes only what it names; location cannot move', async () => {
  await arm.admin('PATCH', arm.path('hubby'), { identity: { type: 'SystemAssigned' } });
  const put = await arm.admin('PUT', arm.path('hubby'), { location: 'local', properties: { disableLocalAuth: true } });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.deepEqual(put.body.identity, { type: 'None' });
  assert.equal(put.body.properties.disableLocalAuth, true);
  assert.equal(dir().getManagedIdentityOf(arm.id('hubby')), undefined);
  const patch = await arm.admin('PATCH', arm.path('hubby'), { identity: { type: 'SystemAssigned' } });
  assert.equal(patch.body.properties.disableLocalAuth, true, 'PATCH left disableLocalAuth alone');
  const off = await arm.admin('PATCH', arm.path('hubby'), { properties: { disableLocalAuth: false } });
  assert.equal(off.body.properties.disableLocalAuth, false);
  assert.equal(off.body.identity.type, 'SystemAssigned', 'PATCH left the identity alone');
  const moved = await arm.admin('PUT', arm.path('hubby'), { location: 'westeurope' });
  assert.equal(moved.status, 400);
  assert.equal(moved.body.error.code, 'InvalidResourceLocation');
  const patchMissing = await arm.admin('PATCH', arm.path('nosuch'), { properties: { disableLocalAuth: true } });
  assert.equal(patchMissing.status, 404);
});

test('tags and sku are kept as given; settings Lapis cannot honour are refused and change nothing', async () => {
  const put = await arm.admin('PUT', arm.path('hubby'), { location: 'local', tags: { env: 'ci' }, sku: { name: 'Premium_P1', capacity: 2 } });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.deepEqual(put.body.tags, { env: 'ci' });
  assert.deepEqual(put.body.sku, { name: 'Premium_P1', tier: 'Premium', size: 'P1', capacity: 2 });
  const patched = await arm.admin('PATCH', arm.path('hubby'), { tags: { env: 'ci', team: 'rt' } });
  assert.deepEqual(patched.body.tags, { env: 'ci', team: 'rt' });
  assert.equal(patched.body.sku.name, 'Premium_P1', 'PATCH left the sku alone');

  // A GET → PUT round trip (what az and Bicep do) sends back every property Lapis reported.
  const got = await arm.admin('GET', arm.path('hubby'));
  const roundTrip = await arm.admin('PUT', arm.path('hubby'), { location: got.body.location, tags: got.body.tags, sku: got.body.sku, identity: got.body.identity, properties: got.body.properties });
  assert.equal(roundTrip.status, 200, JSON.stringify(roundTrip.body));

  for (const [properties, what] of [
    [{ publicNetworkAccess: 'Disabled' }, 'publicNetworkAccess'],
    [{ tls: { clientCertEnabled: true } }, 'tls'],
    [{ disableAadAuth: true }, 'disableAadAuth'],
    [{ liveTraceConfiguration: { enabled: 'true' } }, 'liveTraceConfiguration'],
  ] as const) {
    const refused = await arm.admin('PATCH', arm.path('hubby'), { properties });
    assert.equal(refused.status, 400, `${what}: ${JSON.stringify(refused.body)}`);
    assert.match(JSON.stringify(refused.body.error), new RegExp(what));
  }
  const badSku = await arm.admin('PATCH', arm.path('hubby'), { sku: { name: 'Huge_X9' } });
  assert.equal(badSku.status, 400);
  const after = await arm.admin('GET', arm.path('hubby'));
  assert.deepEqual(after.body.tags, { env: 'ci', team: 'rt' }, 'refused requests changed nothing');
  assert.equal(after.body.properties.publicNetworkAccess, 'Enabled');
});

test('listKeys / regenerateKey: the old key is refused by the data plane, the other keeps working (unmodified @azure/web-pubsub)', async () => {
  const keys = await arm.admin('POST', arm.path('keys', '/listKeys'));
  assert.equal(keys.status, 200, JSON.stringify(keys.body));
  const endpoint = lapis.ready.resources.find((x) => x.name === 'keys')!.endpoint!;
  assert.deepEqual(keys.body, {
    primaryKey: PRIMARY, secondaryKey: SECONDARY,
    primaryConnectionString: `Endpoint=${endpoint};AccessKey=${PRIMARY};Version=1.0;`,
    secondaryConnectionString: `Endpoint=${endpoint};AccessKey=${SECONDARY};Version=1.0;`,
  });
  const send = (cs: string) => new WebPubSubServiceClient(cs, 'chat').sendToAll('hello', { contentType: 'text/plain' });
  await send(keys.body.primaryConnectionString);

  const regen = await arm.admin('POST', arm.path('keys', '/regenerateKey'), { keyType: 'Primary' });
  assert.equal(regen.status, 200, JSON.stringify(regen.body));
  assert.notEqual(regen.body.primaryKey, PRIMARY);
  assert.equal(regen.body.primaryKey.length, 44, '32 random bytes, base64');
  assert.equal(regen.body.secondaryKey, SECONDARY);
  await assert.rejects(send(keys.body.primaryConnectionString), (e: any) => e.statusCode === 401, 'the old primary key is refused');
  await send(keys.body.secondaryConnectionString);
  await send(regen.body.primaryConnectionString);
  assert.deepEqual((await arm.admin('POST', arm.path('keys', '/listKeys'))).body, regen.body);

  const regen2 = await arm.admin('POST', arm.path('keys', '/regenerateKey'), { keyType: 'secondary' });
  assert.equal(regen2.body.primaryKey, regen.body.primaryKey);
  await assert.rejects(send(keys.body.secondaryConnectionString), (e: any) => e.statusCode === 401);
  await send(regen2.body.secondaryConnectionString);

  // Salt: client tokens minted by :generateToken (an Entra caller) before it stop working; the keys stay.
  const entra = new WebPubSubServiceClient(endpoint, new ClientSecretCredential(T, DATA_OWNER.appId, DATA_OWNER.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true }), 'chat');
  const connects = async (url: string) => {
    const c = new WebPubSubClient(url, { autoReconnect: false } as never);
    try {
      await within(c.start(), 10_000, 'client start');
      return true;
    } catch {
      return false;
    } finally {
      c.stop();
    }
  };
  const early = (await entra.getClientAccessToken({ userId: 'u-salt' })).url;
  assert.equal(await connects(early), true);
  const salt = lapis.node.resources.get('keys')!.internalKey;
  const salted = await arm.admin('POST', arm.path('keys', '/regenerateKey'), { keyType: 'Salt' });
  assert.deepEqual(salted.body, regen2.body, 'Salt leaves the access keys');
  assert.notEqual(lapis.node.resources.get('keys')!.internalKey, salt, 'and renews the token-signing salt');
  assert.equal(await connects(early), false, 'a token minted before the salt changed is refused');
  assert.equal(await connects((await entra.getClientAccessToken({ userId: 'u-salt' })).url), true, 'a new one works');

  const bad = await arm.admin('POST', arm.path('keys', '/regenerateKey'), { keyType: 'Tertiary' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /'keyType' must be one of/);
});

test('RBAC: no token 401, Reader reads but cannot list keys or write, no role 403', async () => {
  const anon = await arm.anonymous('GET', arm.path('chat'));
  assert.equal(anon.status, 401);
  assert.equal(anon.body.error.code, 'AuthenticationFailed');
  assert.match(String(anon.headers.get('www-authenticate')), /^Bearer authorization_uri=/);

  assert.equal((await arm.as(READER, 'GET', arm.path('chat'))).status, 200);
  assert.equal((await arm.as(READER, 'GET', arm.path('hubby', '/hubs'))).status, 200, 'hubs/read is a */read');
  const readerPrincipal = dir().servicePrincipal(READER.appId)!.id;
  for (const [method, rest, action, body] of [
    ['POST', '/listKeys', 'Microsoft.SignalRService/WebPubSub/listkeys/action', undefined],
    ['POST', '/regenerateKey', 'Microsoft.SignalRService/WebPubSub/regeneratekey/action', { keyType: 'Primary' }],
    ['PATCH', '', 'Microsoft.SignalRService/WebPubSub/write', { identity: { type: 'SystemAssigned' } }],
    ['DELETE', '', 'Microsoft.SignalRService/WebPubSub/delete', undefined],
    ['PUT', '/hubs/chat', 'Microsoft.SignalRService/WebPubSub/hubs/write', { properties: {} }],
    ['DELETE', '/hubs/chat', 'Microsoft.SignalRService/WebPubSub/hubs/delete', undefined],
  ] as const) {
    const r = await arm.as(READER, method, arm.path('chat', rest), body);
    assert.equal(r.status, 403, `${method} ${rest}`);
    assert.equal(r.body.error.code, 'AuthorizationFailed');
    assert.match(r.body.error.message, new RegExp(`with object id '${readerPrincipal}' does not have authorization to perform action '${action.replace(/\//g, '\\/')}' over scope '${arm.id('chat').replace(/\//g, '\\/')}`));
  }
  assert.equal(lapis.node.resources.get('chat')!.identity.type, 'None', 'nothing changed');
  const nobody = await arm.as(NOBODY, 'GET', arm.path('chat'));
  assert.equal(nobody.status, 403);
  const nobodyList = await arm.as(NOBODY, 'GET', `/subscriptions/${S}/providers/Microsoft.SignalRService/webPubSub?${API}`);
  assert.equal(nobodyList.status, 403);
  // The Reader's role is at rg-1: a subscription-wide list shows what it may read there, as ARM filters collections.
  const readerList = await arm.as(READER, 'GET', `/subscriptions/${S}/providers/Microsoft.SignalRService/webPubSub?${API}`);
  assert.equal(readerList.status, 200);
  const listed = (readerList.body.value as { id: string }[]).map((r) => r.id.toLowerCase());
  assert.ok(listed.length > 0 && listed.every((id) => id.includes(`/resourcegroups/${RG.toLowerCase()}/`)), listed.join(', '));
  const all = await arm.admin('GET', `/subscriptions/${S}/providers/Microsoft.SignalRService/webPubSub?${API}`);
  assert.ok(all.body.value.some((x: { name: string }) => x.name === 'elsewhere'), 'the admin sees the rg-3 resource the Reader does not');
});

test('hubs: PUT / GET / list / DELETE in ARM\'s shape; bad handler settings are refused with their JSON path', async () => {
  const settings = {
    properties: {
      anonymousConnectPolicy: 'allow',
      eventHandlers: [{
        urlTemplate: 'http://127.0.0.1:9/api/{hub}/{event}', userEventPattern: 'a, b', systemEvents: ['connected'],
        auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } },
      }],
    },
  };
  const created = await arm.admin('PUT', arm.path('hubby', '/hubs/Lobby'), settings);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body, {
    id: `${arm.id('hubby')}/hubs/Lobby`, name: 'Lobby', type: 'Microsoft.SignalRService/WebPubSub/hubs',
    properties: { ...settings.properties, eventListeners: [], webSocketKeepAliveIntervalInSeconds: 20 },
  });
  assert.deepEqual(lapis.node.resources.get('hubby')!.hubs.lobby!.properties.eventHandlers, settings.properties.eventHandlers, 'the running service reads it');
  const replaced = await arm.admin('PUT', arm.path('hubby', '/hubs/Lobby'), { properties: { anonymousConnectPolicy: 'Deny' } });
  assert.equal(replaced.status, 200);
  assert.deepEqual(replaced.body.properties.eventHandlers, []);
  assert.equal(replaced.body.properties.anonymousConnectPolicy, 'deny');
  assert.equal((await arm.admin('GET', arm.path('hubby', '/hubs/lobby'))).body.name, 'Lobby');
  assert.deepEqual((await arm.admin('GET', arm.path('hubby', '/hubs'))).body.value.map((h: any) => h.name), ['Lobby']);

  const bad = async (handler: object, path: RegExp) => {
    const r = await arm.admin('PUT', arm.path('hubby', '/hubs/bad'), { properties: { eventHandlers: [{ urlTemplate: 'http://127.0.0.1:9/{event}' }, handler] } });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'InvalidRequestContent');
    assert.match(r.body.error.message, path);
  };
  await bad({ urlTemplate: 'ftp://example.test/{event}' }, /^properties\.eventHandlers\[1\]\.urlTemplate: .*http:\/\/ or https:\/\//);
  await bad({ urlTemplate: 'http://{hub}.example.test/' }, /^properties\.eventHandlers\[1\]\.urlTemplate: .*host/);
  await bad({ urlTemplate: 'http://127.0.0.1:9/', systemEvents: ['connect', 'bogus'] }, /^properties\.eventHandlers\[1\]\.systemEvents\[1\]: /);
  await bad({ urlTemplate: 'http://127.0.0.1:9/', auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://not-registered' } } },
    /^properties\.eventHandlers\[1\]\.auth\.managedIdentity\.resource: 'api:\/\/not-registered' is neither the Application ID nor an Application ID URI/);
  await bad({ urlTemplate: 'http://127.0.0.1:9/', auth: { type: 'ManagedIdentity', managedIdentity: { resource: '' } } }, /^properties\.eventHandlers\[1\]\.auth\.managedIdentity\.resource: .*Microsoft Graph/);
  const listeners = await arm.admin('PUT', arm.path('hubby', '/hubs/bad'), { properties: { eventListeners: [{ filter: {}, endpoint: {} }] } });
  assert.equal(listeners.status, 400);
  assert.match(listeners.body.error.message, /^properties\.eventListeners: .*not supported/);
  const badName = await arm.admin('PUT', arm.path('hubby', '/hubs/1bad'), { properties: {} });
  assert.equal(badName.status, 400);
  assert.equal((await arm.admin('GET', arm.path('hubby', '/hubs/bad'))).status, 404, 'nothing was stored');

  assert.equal((await arm.admin('DELETE', arm.path('hubby', '/hubs/Lobby'))).status, 200);
  assert.equal((await arm.admin('DELETE', arm.path('hubby', '/hubs/Lobby'))).status, 204);
  const gone = await arm.admin('GET', arm.path('hubby', '/hubs/Lobby'));
  assert.equal(gone.status, 404);
  assert.equal(lapis.node.resources.get('hubby')!.hubs.lobby, undefined);
});

test('PUT of a new resource creates it (keys, system identity) and serves clients at once', async () => {
  const created = await arm.admin('PUT', arm.path('made-at-runtime'), { location: 'local', sku: { name: 'Standard_S1' }, identity: { type: 'SystemAssigned' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.id, arm.id('made-at-runtime'));
  assert.equal(typeof created.body.properties.publicPort, 'number');
  const mi = dir().getManagedIdentityOf(arm.id('made-at-runtime'))!;
  assert.equal(created.body.identity.principalId, mi.principalId);
  assert.ok(spIds().has(mi.principalId));

  const ready = JSON.parse(readFileSync(join(lapis.dataDir, 'ready.json'), 'utf8'));
  const entry = ready.resources.find((r: any) => r.name === 'made-at-runtime');
  assert.ok(entry, 'ready.json lists it');
  const keys = (await arm.admin('POST', arm.path('made-at-runtime', '/listKeys'))).body;
  assert.equal(entry.connectionString, keys.primaryConnectionString);

  const service = new WebPubSubServiceClient(keys.primaryConnectionString, 'chat');
  const { url } = await service.getClientAccessToken({ userId: 'u1' });
  const client = new WebPubSubClient(url);
  const got: unknown[] = [];
  client.on('server-message', (e) => { got.push(e.message.data); });
  await within(client.start(), 10_000, 'client start');
  await service.sendToAll('hi from a runtime resource', { contentType: 'text/plain' });
  await until(() => got.length > 0, 5000, 'message');
  assert.deepEqual(got, ['hi from a runtime resource']);
  client.stop();

  const again = await arm.admin('PUT', arm.path('made-at-runtime'), { location: 'local', identity: { type: 'SystemAssigned' } });
  assert.equal(again.status, 200);
  assert.equal(again.body.properties.publicPort, created.body.properties.publicPort);
  const elsewhere = await arm.admin('PUT', arm.path('made-at-runtime', '', 'rg-2'), { location: 'local' });
  assert.equal(elsewhere.status, 409);
  assert.equal(elsewhere.body.error.code, 'NameNotAvailable');
  const noLocation = await arm.admin('PUT', arm.path('another-one'), {});
  assert.equal(noLocation.status, 400);
  assert.equal(noLocation.body.error.code, 'LocationRequired');
  const badName = await arm.admin('PUT', arm.path('-bad'), { location: 'local' });
  assert.equal(badName.status, 400);
  assert.equal(badName.body.error.code, 'InvalidResourceName');
  const badUami = await arm.admin('PUT', arm.path('another-one'), { location: 'local', identity: { type: 'UserAssigned', userAssignedIdentities: { [`${UAMI1}x`]: {} } } });
  assert.equal(badUami.status, 400);
  assert.equal(lapis.node.resources.get('another-one'), undefined, 'a refused PUT creates nothing');
  const otherSub = await arm.admin('PUT', `/subscriptions/5c0a1d2e-0000-4000-8000-0000000000ff/resourceGroups/${RG}/providers/Microsoft.SignalRService/webPubSub/another-one?${API}`, { location: 'local' });
  assert.equal(otherSub.status, 404);
  assert.equal(otherSub.body.error.code, 'SubscriptionNotFound');

  assert.equal((await arm.admin('DELETE', arm.path('never-was'))).status, 204);
});

test('DELETE stops the resource, closes its clients, deletes its system identity and its record', async () => {
  const created = await arm.admin('PUT', arm.path('short-lived'), { location: 'local', identity: { type: 'SystemAssigned' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const mi = dir().getManagedIdentityOf(arm.id('short-lived'))!;
  const keys = (await arm.admin('POST', arm.path('short-lived', '/listKeys'))).body;
  const service = new WebPubSubServiceClient(keys.primaryConnectionString, 'chat');
  const client = new WebPubSubClient((await service.getClientAccessToken({ userId: 'u' })).url, { autoReconnect: false } as never);
  const stopped = new Promise<void>((resolve) => client.on('stopped', () => resolve()));
  await within(client.start(), 10_000, 'client start');

  const del = await arm.admin('DELETE', arm.path('short-lived'));
  assert.equal(del.status, 200, JSON.stringify(del.body));
  await within(stopped, 10_000, 'client closed by the delete');
  assert.equal(lapis.node.resources.get('short-lived'), undefined, 'record removed');
  assert.equal(dir().getManagedIdentityOf(arm.id('short-lived')), undefined, 'system identity deleted');
  assert.equal(spIds().has(mi.principalId), false, 'and its service principal');
  assert.equal((await arm.admin('GET', arm.path('short-lived'))).status, 404);
  const ready = JSON.parse(readFileSync(join(lapis.dataDir, 'ready.json'), 'utf8'));
  assert.equal(ready.resources.some((r: { name: string }) => r.name === 'short-lived'), false, 'ready.json no longer lists it');
  await assert.rejects(service.sendToAll('x', { contentType: 'text/plain' }), 'its origin no longer answers');
  assert.ok(lapis.node.resources.get('made-at-runtime'), 'other resources are untouched');
});

test('a restart keeps what the API did: the created resource (serving, same port), identities, keys', async () => {
  await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'UserAssigned', userAssignedIdentities: { [UAMI2]: {} } } });
  const keysBefore = (await arm.admin('POST', arm.path('made-at-runtime', '/listKeys'))).body;
  const before = (await arm.admin('GET', arm.path('made-at-runtime'))).body;
  await lapis.restart();
  arm = new Arm(lapis);
  const after = await arm.admin('GET', arm.path('made-at-runtime'));
  assert.equal(after.status, 200);
  assert.equal(after.body.properties.publicPort, before.properties.publicPort);
  assert.deepEqual(after.body.identity, before.identity, 'same system identity');
  assert.deepEqual((await arm.admin('POST', arm.path('made-at-runtime', '/listKeys'))).body, keysBefore);
  await new WebPubSubServiceClient(keysBefore.primaryConnectionString, 'chat').sendToAll('after restart', { contentType: 'text/plain' });
  assert.ok(lapis.ready.resources.some((r) => r.name === 'made-at-runtime'), 'started at boot, in ready.json');
  assert.equal((await arm.admin('GET', arm.path('chat'))).body.identity.type, 'UserAssigned', 'the config declares no identity for chat: the API\'s stays');
});
