/**
 * The service side of default mode's app-server connections, with raw service-protocol peers:
 * a silent server connection is dropped (and only it), the per-resource limit of server
 * connections, open connections closed when their principal loses the App Server role or their
 * signing key is regenerated, and the keyed pings the SDK acts on (`status`, `servers`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { startTestLapis, type TestLapis } from '../../helpers/lapis.ts';
import { Arm } from '../../control/support.ts';
import { handshaken, openRaw, serverKeyToken, sleep, startClient, type RawApp } from './raw-app-peer.ts';

const T = '5e1a7c2b-0000-4000-8000-00000000cc31';
const S = '5e1a7c2b-0000-4000-8000-00000000dd31';
const RG = `/subscriptions/${S}/resourceGroups/rg-life`;
const RES = (name: string) => `${RG}/providers/Microsoft.SignalRService/SignalR/${name}`;
const KEYS = { primaryKey: 'lifecycle-primary-key-0123456789abcdef', secondaryKey: 'lifecycle-secondary-key-0123456789abcde' };
const REVOKED = { displayName: 'life-revoked-app', appId: '5e1a7c2b-0000-4000-8000-0000000000f1', secret: 'life-revoked-secret-0123456789ab' };
const KEPT = { displayName: 'life-kept-app', appId: '5e1a7c2b-0000-4000-8000-0000000000f2', secret: 'life-kept-secret-0123456789abcd' };
const GONE = 'The app server connection that served this client was closed.';

let lapis: TestLapis;
const endpoint: Record<string, string> = {};
const bearer = new Map<string, string>();
const opened: RawApp[] = [];

before(async () => {
  const resource = (name: string, limits?: object) => ({ type: 'Microsoft.SignalRService/signalR', name, resourceGroup: 'rg-life', accessKeys: KEYS, ...(limits ? { limits } : {}) });
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      applications: [REVOKED, KEPT].map((a) => ({ displayName: a.displayName, appId: a.appId, passwordCredentials: [{ displayName: 'ci', secretText: a.secret }] })),
      resources: [
        resource('life-silent', { serverConnectionTimeoutSeconds: 3 }),
        resource('life-cap', { maxServerConnections: 2 }),
        resource('life-main', { maxConnections: 100 }),
      ],
      roleAssignments: [REVOKED, KEPT].map((a) => ({ principal: a.displayName, roleDefinitionName: 'SignalR App Server', scope: RES('life-main') })),
    },
  });
  for (const name of ['life-silent', 'life-cap', 'life-main']) {
    endpoint[name] = /Endpoint=([^;]+)/.exec(lapis.ready.resources.find((r) => r.name === name)!.connectionString!)![1]!;
  }
  for (const a of [REVOKED, KEPT]) {
    const cred = new ClientSecretCredential(T, a.appId, a.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
    bearer.set(a.displayName, (await cred.getToken('https://signalr.azure.com/.default'))!.token);
  }
});
after(async () => {
  for (const a of opened) a.close();
  await lapis?.stop();
});

const open = async (name: string, hub: string, token: string, serverId?: string) => {
  const app = await handshaken(endpoint[name]!, hub, token, serverId);
  opened.push(app);
  return app;
};

test('a server connection that goes silent is closed with the reason; its clients are closed; the other server connection and its clients keep working', { timeout: 20_000 }, async () => {
  const ep = endpoint['life-silent']!;
  const token = await serverKeyToken(ep, 'quiet', KEYS.primaryKey);
  const silent = await open('life-silent', 'quiet', token, 'server_silent');
  silent.answerClients();
  const client1 = await startClient(ep, 'quiet', KEYS.primaryKey);
  const alive = await open('life-silent', 'quiet', token, 'server_alive');
  alive.answerClients();
  alive.keepAlive(100);
  const client2 = await startClient(ep, 'quiet', KEYS.primaryKey);
  // Routing spreads clients across app servers: one on each.
  assert.equal(silent.messages.filter((m) => m.kind === 'OpenConnection').length, 1);
  assert.equal(alive.messages.filter((m) => m.kind === 'OpenConnection').length, 1);

  const closedWith = new Promise<Error | undefined>((r) => client1.onclose((e) => r(e)));
  let client2Closed = false;
  client2.onclose(() => { client2Closed = true; });
  // The silent peer sends nothing after its handshake: closed (1000) with the reason after ~3 s.
  // (3 s, not less: a busy machine can stall the event loop for a second, and the live peer must not look silent.)
  const { code, reason } = await silent.closed;
  assert.equal(code, 1000);
  assert.match(reason, /sent nothing within the server connection timeout/);
  assert.equal((await closedWith)?.message, `Server returned an error on close: ${GONE}`);

  // The other server connection keeps its client: data still flows both ways, well past the timeout.
  await sleep(3500);
  assert.equal(client2Closed, false);
  const got = new Promise<unknown[]>((r) => client2.on('hello', (...a: unknown[]) => r(a)));
  const openMsg = alive.messages.find((m) => m.kind === 'OpenConnection') as { connectionId: string };
  alive.send({ kind: 'ConnectionData', connectionId: openMsg.connectionId, payload: Buffer.from('{"type":1,"target":"hello","arguments":["still here"]}\u001e'), ext: {} });
  assert.deepEqual(await got, ['still here']);
  // New clients go to the remaining server only.
  const client3 = await startClient(ep, 'quiet', KEYS.primaryKey);
  assert.equal(alive.messages.filter((m) => m.kind === 'OpenConnection').length, 2);
  await Promise.all([client2.stop(), client3.stop()]);
});

test('at most limits.maxServerConnections server connections per resource: the next upgrade gets 429 until one closes', { timeout: 20_000 }, async () => {
  const ep = endpoint['life-cap']!;
  const token = await serverKeyToken(ep, 'cap', KEYS.primaryKey);
  const a = await open('life-cap', 'cap', token);
  await open('life-cap', 'cap', token);
  assert.equal(await openRaw(ep, 'cap', token), 429);
  // Another hub of the same resource counts too.
  assert.equal(await openRaw(ep, 'other', await serverKeyToken(ep, 'other', KEYS.primaryKey)), 429);
  a.close();
  await a.closed;
  let third: RawApp | number = 429;
  for (let i = 0; i < 50 && third === 429; i++) { third = await openRaw(ep, 'cap', token); if (third === 429) await sleep(20); }
  assert.notEqual(typeof third, 'number');
  opened.push(third as RawApp);
});

test('removing the App Server role closes that principal\'s open server connections (with the reason); other principals\' stay', { timeout: 20_000 }, async () => {
  const arm = new Arm(lapis);
  const revoked = await open('life-main', 'rbac', bearer.get(REVOKED.displayName)!, 'server_revoked');
  revoked.answerClients();
  revoked.keepAlive();
  const kept = await open('life-main', 'rbac', bearer.get(KEPT.displayName)!, 'server_kept');
  kept.keepAlive();
  const client = await startClient(endpoint['life-main']!, 'rbac', KEYS.primaryKey);
  const clientClosed = new Promise<Error | undefined>((r) => client.onclose((e) => r(e)));

  const oid = (JSON.parse(Buffer.from(bearer.get(REVOKED.displayName)!.split('.')[1]!, 'base64url').toString()) as { oid: string }).oid;
  const list = await arm.admin('GET', `${RES('life-main')}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`);
  const assignment = (list.body as { value: Array<{ id: string; properties: { principalId: string } }> }).value.find((x) => x.properties.principalId === oid);
  assert.ok(assignment, 'the assignment is listed');
  assert.equal((await arm.admin('DELETE', `${assignment.id}?api-version=2022-04-01`)).status, 200);

  const error = await revoked.next('ServiceError', 3000);
  assert.match(error.errorMessage, /no longer has permission 'Microsoft\.SignalRService\/SignalR\/serverConnection\/write'/);
  assert.equal((await revoked.closed).code, 1000);
  assert.match(String((await clientClosed)?.message), /app server connection/);
  // The other principal's connection is untouched, and the revoked one cannot come back.
  await sleep(300);
  assert.equal(kept.ws.readyState, kept.ws.OPEN);
  assert.equal(await openRaw(endpoint['life-main']!, 'rbac', bearer.get(REVOKED.displayName)), 403);
});

test('regenerating an access key closes the server connections whose token it signed; the other key\'s stay', { timeout: 20_000 }, async () => {
  const arm = new Arm(lapis);
  const ep = endpoint['life-main']!;
  const bySecondary = await open('life-main', 'keys', await serverKeyToken(ep, 'keys', KEYS.secondaryKey), 'server_secondary');
  bySecondary.keepAlive();
  const byPrimary = await open('life-main', 'keys', await serverKeyToken(ep, 'keys', KEYS.primaryKey), 'server_primary');
  byPrimary.keepAlive();
  const res = await arm.admin('POST', `${RES('life-main')}/regenerateKey?api-version=2024-03-01`, { keyType: 'Secondary' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  // Checked every 5 s.
  const error = await bySecondary.next('ServiceError', 8000);
  assert.match(error.errorMessage, /access key that signed this connection's token was regenerated/);
  await bySecondary.closed;
  assert.equal(byPrimary.ws.readyState, byPrimary.ws.OPEN);
});

test('pings: ["status","1"] is answered with whether the hub has clients and the counts; ["servers",""] with the server ids; echo is echoed', { timeout: 20_000 }, async () => {
  const ep = endpoint['life-main']!;
  const token = await serverKeyToken(ep, 'pings', KEYS.primaryKey);
  const b = await open('life-main', 'pings', token, 'server_B');
  const a = await open('life-main', 'pings', token, 'server_A');
  a.answerClients();
  b.answerClients();
  const status = async () => {
    a.send({ kind: 'Ping', messages: ['status', '1'] });
    let p;
    do p = await a.next('Ping'); while (p.messages[0] !== 'status');
    return p.messages;
  };
  const before = await status();
  assert.equal(before[1], '0');
  assert.deepEqual([before[2], before[4], before[6]], ['clientcount', 'servercount', 'capacity']);
  const client = await startClient(ep, 'pings', KEYS.primaryKey);
  const withClient = await status();
  assert.equal(withClient[1], '1');
  assert.ok(Number(withClient[3]) >= 1, 'clientcount counts the client');
  assert.ok(Number(withClient[5]) >= 2, 'servercount counts both server connections');
  // Capacity = the client limit plus the server connections, so capacity - clients - servers = client slots left.
  assert.equal(Number(withClient[7]), 100 + Number(withClient[5]));
  b.send({ kind: 'Ping', messages: ['servers', ''] });
  let servers;
  do servers = await b.next('Ping'); while (servers.messages[0] !== 'servers');
  const [ticks, ids] = servers.messages[1]!.split(':');
  assert.match(ticks!, /^\d{18}$/, '.NET ticks');
  assert.equal(ids, 'server_A;server_B');
  b.send({ kind: 'Ping', messages: ['echo', 'x-1'] });
  let echo;
  do echo = await b.next('Ping'); while (echo.messages[0] !== 'echo');
  assert.deepEqual(echo.messages, ['echo', 'x-1']);
  await client.stop();
});
