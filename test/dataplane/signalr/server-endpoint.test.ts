/**
 * The app-server endpoint `/server/?hub=` of a Default-mode resource with raw service-protocol
 * peers playing the app server: who may connect (access-key JWT, Entra token with the SignalR App
 * Server role), the handshake, the in-band temporary key, pings, bad frames (that connection only),
 * and the relay of an official @microsoft/signalr client to the raw app server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { ClientSecretCredential } from '@azure/identity';
import { HttpTransportType, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import type { ServiceMessage } from '../../../src/protocols/signalr-service/index.ts';
import { clientKeyToken, handshaken as handshakenPeer, hostAud as peerAud, openRaw as openPeer, serverKeyToken, type RawApp } from './raw-app-peer.ts';
import { startTestLapis, type TestLapis } from '../../helpers/lapis.ts';
import { Arm } from '../../control/support.ts';

const T = '5e1a7c2b-0000-4000-8000-00000000cc21';
const S = '5e1a7c2b-0000-4000-8000-00000000dd21';
const RG = `/subscriptions/${S}/resourceGroups/rg-dm`;
const KEY = 'server-endpoint-primary-key-0123456789abc';
const APP_SERVER = { displayName: 'dm-app-server', appId: '5e1a7c2b-0000-4000-8000-0000000000e1', secret: 'dm-app-server-secret-0123456789' };
const NO_ROLE = { displayName: 'dm-no-role', appId: '5e1a7c2b-0000-4000-8000-0000000000e2', secret: 'dm-no-role-secret-0123456789abc' };
const NO_SERVER_TEXT = 'Azure SignalR Service is not connected yet, please try again later.';

let lapis: TestLapis;
let endpoint = '';
const bearer = new Map<string, string>();

before(async () => {
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      applications: [APP_SERVER, NO_ROLE].map((a) => ({ displayName: a.displayName, appId: a.appId, passwordCredentials: [{ displayName: 'ci', secretText: a.secret }] })),
      resources: [{ type: 'Microsoft.SignalRService/signalR', name: 'dmraw', resourceGroup: 'rg-dm', accessKeys: { primaryKey: KEY, secondaryKey: 'server-endpoint-secondary-key-0123456789a' } }],
      roleAssignments: [{ principal: APP_SERVER.displayName, roleDefinitionName: 'SignalR App Server', scope: RG }],
    },
  });
  endpoint = /Endpoint=([^;]+)/.exec(lapis.ready.resources.find((r) => r.name === 'dmraw')!.connectionString!)![1]!;
  for (const a of [APP_SERVER, NO_ROLE]) {
    const cred = new ClientSecretCredential(T, a.appId, a.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
    bearer.set(a.displayName, (await cred.getToken('https://signalr.azure.com/.default'))!.token);
  }
});
after(async () => { await lapis?.stop(); });

const hostAud = (path: string) => peerAud(endpoint, path);
/** As the SDK signs it: HS256, port dropped from aud, a kid that names nothing. */
const keyToken = (hub: string, key = KEY) => serverKeyToken(endpoint, hub, key);
const clientToken = (hub: string, claims: Record<string, unknown> = {}) => clientKeyToken(endpoint, hub, KEY, claims);
const openRaw = (hub: string, token: string | undefined, serverId?: string) => openPeer(endpoint, hub, token, serverId);
const handshaken = (hub: string, token: string, serverId?: string) => handshakenPeer(endpoint, hub, token, serverId);

test('refusals: no token, another key, another hub, expired or lifetime-less, another endpoint 401; Entra without the role 403', async () => {
  assert.equal(await openRaw('chat', undefined), 401);
  assert.equal(await openRaw('chat', await keyToken('chat', 'not-the-key-0123456789abcdef0123456789')), 401);
  assert.equal(await openRaw('chat', await keyToken('other')), 401);
  assert.equal(await openRaw('chat', bearer.get(NO_ROLE.displayName)), 403);
  assert.equal(await openRaw('chat', 'not-a-jwt'), 401);
  // Expired (past the 5-minute skew) and lifetime-less access-key tokens open nothing.
  const signed = (build: (j: SignJWT) => SignJWT) => build(new SignJWT({ nameid: 'server-1' }).setProtectedHeader({ alg: 'HS256' })
    .setAudience(hostAud('/server/?hub=chat')).setIssuedAt()).sign(new TextEncoder().encode(KEY));
  assert.equal(await openRaw('chat', await signed((j) => j.setExpirationTime(Math.floor(Date.now() / 1000) - 600))), 401, 'expired');
  assert.equal(await openRaw('chat', await signed((j) => j)), 401, 'no exp');
  // A token for another resource's endpoint (another host) does not open this one.
  const foreign = await new SignJWT({ nameid: 'server-1' }).setProtectedHeader({ alg: 'HS256' }).setAudience('https://other.service.signalr.net/server/?hub=chat')
    .setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(KEY));
  assert.equal(await openRaw('chat', foreign), 401, 'another endpoint');
});

test('an Entra app server with SignalR App Server: handshake, in-band temporary key that signs client tokens', async () => {
  const app = await handshaken('chat', bearer.get(APP_SERVER.displayName)!);
  app.send({ kind: 'AccessKeyRequest', token: bearer.get(APP_SERVER.displayName)!, kid: null, ext: {} });
  const r = (await app.next('AccessKeyResponse')) as Extract<ServiceMessage, { kind: 'AccessKeyResponse' }>;
  assert.ok(r.kid && r.accessKey);
  assert.equal(r.errorType, null);
  // As the SDK signs negotiate tokens with it: kid = KeyId, the key string's UTF-8 bytes as the secret.
  const token = await new SignJWT({ 'asrs.s.uid': 'bob' }).setProtectedHeader({ alg: 'HS256', kid: r.kid! }).setAudience(hostAud('/client/?hub=chat'))
    .setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(r.accessKey!));
  const res = await fetch(`${endpoint}/client/negotiate?hub=chat&negotiateVersion=1`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, await res.clone().text());
  app.ws.close();
});

test('pings every ≤ 10 s; shutdown fin gets finack; acks for group operations on unknown connections are NotFound', { timeout: 20_000 }, async () => {
  const app = await handshaken('chat', await keyToken('chat'));
  app.send({ kind: 'Ping', messages: ['shutdown', 'fin:0'] });
  assert.deepEqual((await app.next('Ping')), { kind: 'Ping', messages: ['shutdown', 'finack'] });
  app.send({ kind: 'JoinGroupWithAck', connectionId: 'nobody', groupName: 'g', ackId: 7, ext: {} });
  const ack = (await app.next('Ack')) as Extract<ServiceMessage, { kind: 'Ack' }>;
  assert.deepEqual([ack.ackId, ack.status], [7, 2]);
  assert.deepEqual(await app.next('Ping', 10_000), { kind: 'Ping', messages: [] });
  app.ws.close();
});

test('a first message other than the handshake, or garbage, closes that connection only', async () => {
  const good = await handshaken('chat', await keyToken('chat'));
  const early = (await openRaw('chat', await keyToken('chat'))) as RawApp;
  early.send({ kind: 'Ping', messages: [] });
  const refused = (await early.next('HandshakeResponse')) as { errorMessage: string };
  assert.match(refused.errorMessage, /HandshakeRequest/);
  await early.closed;
  const bad = await handshaken('chat', await keyToken('chat'));
  bad.ws.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  await bad.closed;
  // Unknown message types are skipped, as the SDK skips them; data for unknown clients is ignored.
  good.ws.send(Buffer.from([0x03, 0x92, 0x63, 0x01]));
  good.send({ kind: 'ConnectionData', connectionId: 'nobody', payload: Buffer.from('{}\u001e'), ext: {} });
  good.send({ kind: 'CheckGroupExistenceWithAck', groupName: 'g', ackId: 9, ext: {} });
  assert.equal(((await good.next('Ack')) as { ackId: number }).ackId, 9);
  good.ws.close();
});

test('clients: refused without an app server; relayed to the app server (claims, handshake, data both ways); closed when it goes away', { timeout: 20_000 }, async () => {
  const client = () => new HubConnectionBuilder().withUrl(`${endpoint}/client/?hub=relay`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => clientToken('relay', { 'asrs.s.uid': 'alice', nameid: 'alice', unique_name: 'Alice', role: ['admin', 'ops'] }) }).configureLogging(LogLevel.None).build();
  await assert.rejects(client().start(), (e: Error) => e.message.includes(NO_SERVER_TEXT));

  const app = await handshaken('relay', await keyToken('relay'));
  const c = client();
  const started = c.start();
  const open = (await app.next('OpenConnection')) as Extract<ServiceMessage, { kind: 'OpenConnection' }>;
  assert.equal(open.ext.protocol, 'json');
  const claims = open.claims.map((x) => [x.type, x.value]);
  assert.deepEqual(claims.find(([t]) => t === 'asrs.s.uid'), ['asrs.s.uid', 'alice']);
  assert.deepEqual(claims.find(([t]) => t!.endsWith('/claims/name')), ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', 'Alice']);
  assert.equal(claims.filter(([t]) => t === 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role').length, 2);
  assert.match(open.queryString ?? '', /^\?hub=relay/);
  // The client's request headers, without its credentials; its address as X-Forwarded-For.
  assert.match(String(open.headers.get('user-agent')?.[0] ?? open.headers.get('x-signalr-user-agent')?.[0]), /Microsoft SignalR/, JSON.stringify([...open.headers]));
  assert.deepEqual(open.headers.get('x-forwarded-for'), ['127.0.0.1']);
  assert.equal(open.headers.has('authorization'), false);
  const hs = (await app.next('ConnectionData')) as Extract<ServiceMessage, { kind: 'ConnectionData' }>;
  assert.equal(Buffer.from(hs.payload).toString(), '{"protocol":"json","version":1}\u001e');
  app.send({ kind: 'ConnectionData', connectionId: open.connectionId, payload: Buffer.from('{}\u001e'), ext: { dataMessageType: 1 } });
  await started;
  const got = new Promise<unknown[]>((r) => c.on('hello', (...a: unknown[]) => r(a)));
  app.send({ kind: 'ConnectionData', connectionId: open.connectionId, payload: Buffer.from('{"type":1,"target":"hello","arguments":["from app"]}\u001e'), ext: {} });
  assert.deepEqual(await got, ['from app']);
  void c.send('Ping', 1);
  // The client's own pings ({"type":6}) are relayed too; wait for the invocation.
  let fromClient = '';
  while (!fromClient.includes('"target":"Ping"')) fromClient = Buffer.from(((await app.next('ConnectionData')) as Extract<ServiceMessage, { kind: 'ConnectionData' }>).payload).toString();
  const closed = new Promise<Error | undefined>((r) => c.onclose((e) => r(e)));
  app.ws.terminate();
  const err = await closed;
  assert.match(String(err?.message), /app server connection/);
});

test('app fan-out: MultiGroupBroadcast reaches a member of several groups once; GroupBroadcast skips excluded users', { timeout: 20_000 }, async () => {
  const app = await handshaken('fan', await keyToken('fan'));
  const ids = new Map<string, string>();
  const join = async (user: string) => {
    const c = new HubConnectionBuilder().withUrl(`${endpoint}/client/?hub=fan`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => clientToken('fan', { 'asrs.s.uid': user }) }).configureLogging(LogLevel.None).build();
    const started = c.start();
    const open = (await app.next('OpenConnection')) as Extract<ServiceMessage, { kind: 'OpenConnection' }>;
    await app.next('ConnectionData');
    app.send({ kind: 'ConnectionData', connectionId: open.connectionId, payload: Buffer.from('{}\u001e'), ext: { dataMessageType: 1 } });
    await started;
    ids.set(user, open.connectionId);
    return c;
  };
  const alice = await join('alice');
  const bob = await join('bob');
  let ackId = 100;
  for (const [user, groups] of [['alice', ['g1', 'g2']], ['bob', ['g1']]] as const) {
    for (const g of groups) {
      app.send({ kind: 'JoinGroupWithAck', connectionId: ids.get(user)!, groupName: g, ackId: ++ackId, ext: {} });
      assert.equal(((await app.next('Ack')) as { status: number }).status, 1);
    }
  }
  const got = { alice: [] as unknown[], bob: [] as unknown[] };
  alice.on('m', (x: unknown) => got.alice.push(x));
  bob.on('m', (x: unknown) => got.bob.push(x));
  const frame = (x: string) => new Map([['json', Buffer.from(`{"type":1,"target":"m","arguments":["${x}"]}\u001e`)]]);
  app.send({ kind: 'MultiGroupBroadcast', groupNames: ['g1', 'g2'], payloads: frame('both'), ext: {} });
  app.send({ kind: 'GroupBroadcast', groupName: 'g1', excludedConnectionIds: [], payloads: frame('not alice'), ext: {}, excludedUserIds: ['alice'], callerUserId: null });
  app.send({ kind: 'MultiUserData', userIds: ['alice', 'bob', 'alice'], payloads: frame('users'), ext: {} });
  app.send({ kind: 'Broadcast', excludedConnectionIds: [], payloads: frame('end'), ext: {} });
  const deadline = Date.now() + 5000;
  while ((got.alice.at(-1) !== 'end' || got.bob.at(-1) !== 'end') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, { alice: ['both', 'users', 'end'], bob: ['both', 'not alice', 'users', 'end'] });
  await Promise.all([alice.stop(), bob.stop()]);
  app.ws.close();
});

test('routing: clients are spread across app servers; a sticky token (asrs.s.sn + asrs.s.ssticky) goes to its server', { timeout: 20_000 }, async () => {
  const a = await handshaken('spread', await keyToken('spread'), 'server_A');
  const b = await handshaken('spread', await keyToken('spread'), 'server_B');
  const opened = { A: 0, B: 0 };
  const answer = (app: RawApp, key: 'A' | 'B') => app.ws.on('message', () => {
    for (let i = app.messages.findIndex((m) => m.kind === 'OpenConnection'); i >= 0; i = app.messages.findIndex((m) => m.kind === 'OpenConnection')) {
      const open = app.messages.splice(i, 1)[0] as Extract<ServiceMessage, { kind: 'OpenConnection' }>;
      opened[key]++;
      app.send({ kind: 'ConnectionData', connectionId: open.connectionId, payload: Buffer.from('{}\u001e'), ext: {} });
    }
  });
  answer(a, 'A');
  answer(b, 'B');
  const start = async (claims: Record<string, unknown>) => {
    const c = new HubConnectionBuilder().withUrl(`${endpoint}/client/?hub=spread`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => clientToken('spread', claims) }).configureLogging(LogLevel.None).build();
    await c.start();
    return c;
  };
  const spread = [];
  for (let i = 0; i < 4; i++) spread.push(await start({}));
  assert.deepEqual(opened, { A: 2, B: 2 });
  const sticky = [];
  for (let i = 0; i < 3; i++) sticky.push(await start({ 'asrs.s.sn': 'server_B', 'asrs.s.ssticky': '1' }));
  assert.deepEqual(opened, { A: 2, B: 5 });
  await Promise.all([...spread, ...sticky].map((c) => c.stop()));
  a.ws.close();
  b.ws.close();
});

test('removing the app\'s SignalR App Server role (ARM) makes the next server connection refused with 403', async () => {
  const arm = new Arm(lapis);
  const first = await handshaken('rbac', bearer.get(APP_SERVER.displayName)!);
  const list = await arm.admin('GET', `${RG}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`);
  assert.equal(list.status, 200);
  const mine = (list.body as { value: Array<{ id: string; properties: { principalId: string } }> }).value;
  const principalId = (await fetchPrincipal(bearer.get(APP_SERVER.displayName)!));
  const assignment = mine.find((a) => a.properties.principalId === principalId);
  assert.ok(assignment, 'the App Server assignment is listed');
  assert.equal((await arm.admin('DELETE', `${assignment.id}?api-version=2022-04-01`)).status, 200);
  assert.equal(await openRaw('rbac', bearer.get(APP_SERVER.displayName)), 403);
  first.ws.close();
});

/** The token's object id (`oid`): the principal role assignments name. */
async function fetchPrincipal(token: string): Promise<string> {
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { oid: string }).oid;
}
