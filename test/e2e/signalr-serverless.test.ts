/**
 * A SignalR resource in serverless mode through the full server over HTTPS, with the connection
 * string from ready.json and the unmodified @microsoft/signalr client on every transport × hub
 * protocol: a client token from `:generateToken`, REST sends reaching clients, groups, close.
 * A Default-mode resource refuses clients until an app server connects (not served yet).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { Arm } from '../control/support.ts';

const T = '7d1e2f30-0000-4000-8000-0000000000a7';
const S = '7d1e2f30-0000-4000-8000-0000000000b7';
const KEY = 'serverless-primary-key-0123456789abcdef0';

let lapis: TestLapis;
let endpoint = '';
before(async () => {
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      resources: [
        { type: 'Microsoft.SignalRService/signalR', name: 'sig', resourceGroup: 'rg-1',
          accessKeys: { primaryKey: KEY, secondaryKey: 'serverless-secondary-key-0123456789abcdef' },
          properties: { features: [{ flag: 'ServiceMode', value: 'Serverless' }] } },
        { type: 'Microsoft.SignalRService/signalR', name: 'classic', resourceGroup: 'rg-1' },
      ],
    },
  });
  const cs = lapis.ready.resources.find((r) => r.name === 'sig')!.connectionString!;
  endpoint = /Endpoint=([^;]+)/.exec(cs)![1]!;
  assert.equal(/AccessKey=([^;]+)/.exec(cs)![1], KEY);
});
after(async () => { await lapis?.stop(); });

/** An access-key REST token as the SDKs sign it: HS256 with the key's UTF-8 bytes, aud = the URL. */
async function rest(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const url = `${endpoint}${path}`;
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience(url.split('?')[0]!).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(KEY));
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function clientToken(userId: string): Promise<string> {
  const r = await rest('POST', `/api/hubs/chat/:generateToken?api-version=2022-11-01&userId=${userId}&minutesToExpire=10`);
  assert.equal(r.status, 200);
  return r.json.token;
}

const clients: HubConnection[] = [];
async function connect(userId: string, transport: HttpTransportType, protocol: 'json' | 'messagepack', base = endpoint): Promise<HubConnection> {
  const token = await clientToken(userId);
  const b = new HubConnectionBuilder().withUrl(`${base}/client/?hub=chat`, { transport, accessTokenFactory: () => token }).configureLogging(LogLevel.None);
  const c = (protocol === 'messagepack' ? b.withHubProtocol(new MessagePackHubProtocol()) : b).build();
  await c.start();
  clients.push(c);
  return c;
}
after(async () => { await Promise.all(clients.map((c) => c.stop())); });

const next = (c: HubConnection, target: string) => new Promise<unknown[]>((r) => c.on(target, (...a: unknown[]) => r(a)));

test('every transport × protocol receives REST broadcasts, user, group and connection sends over HTTPS', async () => {
  const combos: Array<[HttpTransportType, 'json' | 'messagepack']> = [
    [HttpTransportType.WebSockets, 'json'], [HttpTransportType.WebSockets, 'messagepack'],
    [HttpTransportType.ServerSentEvents, 'json'],
    [HttpTransportType.LongPolling, 'json'], [HttpTransportType.LongPolling, 'messagepack'],
  ];
  const cs = await Promise.all(combos.map(([t, p], i) => connect(`user${i}`, t, p)));
  const all = Promise.all(cs.map((c) => next(c, 'broadcast')));
  assert.equal((await rest('POST', '/api/hubs/chat/:send?api-version=2022-06-01', { target: 'broadcast', arguments: ['to all', { n: 1 }] })).status, 202);
  for (const got of await all) assert.deepEqual(got, ['to all', { n: 1 }]);

  const toUser = next(cs[1]!, 'dm');
  assert.equal((await rest('POST', '/api/hubs/chat/users/user1/:send?api-version=2022-06-01', { Target: 'dm', Arguments: [42] })).status, 202);
  assert.deepEqual(await toUser, [42]);

  assert.equal((await rest('PUT', `/api/hubs/chat/groups/room/connections/${cs[2]!.connectionId}?api-version=2022-06-01`)).status, 200);
  assert.equal((await rest('PUT', '/api/hubs/chat/users/user3/groups/room?api-version=2022-06-01&ttl=60')).status, 200);
  const inRoom = Promise.all([next(cs[2]!, 'room'), next(cs[3]!, 'room')]);
  assert.equal((await rest('POST', '/api/hubs/chat/groups/room/:send?api-version=2022-06-01', { target: 'room', arguments: ['hi room'] })).status, 202);
  assert.deepEqual(await inRoom, [['hi room'], ['hi room']]);

  const direct = next(cs[4]!, 'direct');
  assert.equal((await rest('POST', `/api/hubs/chat/connections/${cs[4]!.connectionId}/:send?api-version=2022-06-01`, { target: 'direct', arguments: [] })).status, 202);
  assert.deepEqual(await direct, []);

  assert.equal((await rest('HEAD', `/api/hubs/chat/connections/${cs[0]!.connectionId}?api-version=2022-06-01`)).status, 200);
  assert.equal((await rest('HEAD', '/api/hubs/chat/groups/room?api-version=2022-06-01')).status, 200);
  assert.equal((await rest('HEAD', '/api/hubs/chat/users/nobody?api-version=2022-06-01')).status, 404);

  const closed = new Promise<Error | undefined>((r) => cs[0]!.onclose(r));
  assert.equal((await rest('DELETE', `/api/hubs/chat/connections/${cs[0]!.connectionId}?api-version=2022-06-01&reason=bye`)).status, 200);
  assert.match(String(await closed), /bye/);
});

test('the client endpoint refuses a missing or foreign token; the plain-HTTP origin serves clients too', async () => {
  const neg = await fetch(`${endpoint}/client/negotiate?hub=chat&negotiateVersion=1`, { method: 'POST' });
  assert.equal(neg.status, 401);
  const other = await clientToken('eve');
  const wrongHub = await fetch(`${endpoint}/client/negotiate?hub=other&negotiateVersion=1`, { method: 'POST', headers: { authorization: `Bearer ${other}` } });
  assert.equal(wrongHub.status, 401, 'a token for hub chat does not open hub other');
  const http = lapis.ready.resources.find((r) => r.name === 'sig')!.httpEndpoint!;
  const token = await new SignJWT({ nameid: 'plain' }).setProtectedHeader({ alg: 'HS256' }).setAudience(`${http}/client/?hub=chat`).setExpirationTime('5m').sign(new TextEncoder().encode(KEY));
  const c = new HubConnectionBuilder().withUrl(`${http}/client/?hub=chat`, { accessTokenFactory: () => token }).configureLogging(LogLevel.None).build();
  await c.start();
  clients.push(c);
  assert.equal((await rest('HEAD', '/api/hubs/chat/users/plain?api-version=2022-06-01')).status, 200);
});

test('a Default-mode resource refuses clients while no app server is connected', async () => {
  const classic = lapis.ready.resources.find((r) => r.name === 'classic')!;
  const key = /AccessKey=([^;]+)/.exec(classic.connectionString!)![1]!;
  const token = await new SignJWT({ nameid: 'x' }).setProtectedHeader({ alg: 'HS256' }).setAudience(`${classic.endpoint}/client/?hub=chat`).setExpirationTime('5m').sign(new TextEncoder().encode(key));
  const c = new HubConnectionBuilder().withUrl(`${classic.endpoint}/client/?hub=chat`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => token }).configureLogging(LogLevel.None).build();
  await assert.rejects(c.start(), /not connected yet/);
});

test('a SignalR resource created through ARM at run time serves clients and REST at once', async () => {
  const arm = new Arm(lapis);
  const path = (rest = '') => `/subscriptions/${S}/resourceGroups/rg-1/providers/Microsoft.SignalRService/signalR/made-now${rest}?api-version=2024-03-01`;
  const put = await arm.admin('PUT', path(), { location: 'local', properties: { features: [{ flag: 'ServiceMode', value: 'Serverless' }] } });
  assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
  const keys = await arm.admin('POST', path('/listKeys'));
  assert.equal(keys.status, 200);
  const body = keys.body as { primaryKey: string; primaryConnectionString: string };
  const made = /Endpoint=([^;]+)/.exec(body.primaryConnectionString)![1]!;
  const key = new TextEncoder().encode(body.primaryKey);
  const token = await new SignJWT({ nameid: 'newcomer' }).setProtectedHeader({ alg: 'HS256' }).setAudience(`${made}/client/?hub=chat`).setExpirationTime('5m').sign(key);
  const c = new HubConnectionBuilder().withUrl(`${made}/client/?hub=chat`, { accessTokenFactory: () => token }).configureLogging(LogLevel.None).build();
  await c.start();
  clients.push(c);
  const got = next(c, 'hello');
  const api = `${made}/api/hubs/chat/:send`;
  const restToken = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience(api).setExpirationTime('5m').sign(key);
  const sent = await fetch(`${api}?api-version=2022-06-01`, { method: 'POST', headers: { authorization: `Bearer ${restToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ target: 'hello', arguments: ['new resource'] }) });
  assert.equal(sent.status, 202);
  assert.deepEqual(await got, ['new resource']);
});
