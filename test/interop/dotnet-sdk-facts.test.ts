// What the real Microsoft.Azure.SignalR 1.34.0 app server does in default mode, pinned down against
// the recording stand-in (test/interop/service-standin.ts) with Lapis as the identity provider: the
// seed's code (two endpoints, ClientSecretCredential + ClientCertificateCredential), the wire facts
// docs/dev/signalr-default-mode-findings.md lists. When Lapis serves /server/ itself, these are
// the facts its endpoint must meet. Skips with the reason when dotnet or the NuGet feed is missing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { buildDotnetApp } from './dotnet-app.ts';
import type { DotnetApp } from './dotnet-app.ts';
import { CERT_APP, SECRET_APP, entraEnv, hubMessages, invoke, openClient, startApp, startProbeWorld, startStandin } from './default-mode-probe.ts';
import type { ProbeWorld } from './default-mode-probe.ts';
import type { ServerConnection, ServiceStandin } from './service-standin.ts';
import { removeCertFiles } from '../helpers/certs.ts';

const build = await buildDotnetApp();
const skip = build.ok ? false : build.reason;

let world: ProbeWorld;
let one: ServiceStandin;
let two: ServiceStandin;
let app: DotnetApp;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
const ROLE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';

before(async () => {
  if (!build.ok) return;
  world = await startProbeWorld();
  one = await startStandin(world, { answerFinack: true });
  two = await startStandin(world, { answerFinack: true, ackStatus: 2 });
  app = await startApp(world, build.dllPath, { ...entraEnv(world, one.origin, two.origin), LAPIS_SERVER_CONNECTION_COUNT: '2' });
  await one.waitFor('2 handshakes on endpoint 1', () => one.connections.filter((c) => c.messages.some((m) => m.type === 1)).length === 2);
  await two.waitFor('2 handshakes on endpoint 2', () => two.connections.filter((c) => c.messages.some((m) => m.type === 1)).length === 2);
}, { timeout: 120_000 });

after(async () => {
  await app?.stop();
  await one?.stop();
  await two?.stop();
  await world?.stop();
  removeCertFiles();
});

/** Messages of one type the SDK sent on a connection. */
const sent = (c: ServerConnection, type: number) => c.messages.filter((m) => m.dir === 'in' && m.type === type).map((m) => m.msg);

test('server connections: /server/?hub=<hub class, lower-case>&cid=<guid>, the raw Entra token of each endpoint\'s own credential, the SDK headers', { skip, timeout: 30_000 }, () => {
  for (const [standin, appId, appidacr] of [[one, SECRET_APP.appId, '1'], [two, CERT_APP.appId, '2']] as const) {
    assert.equal(standin.connections.length, 2, 'InitialHubServerConnectionCount connections per endpoint');
    for (const c of standin.connections) {
      assert.match(c.url, new RegExp(`^/server/\\?hub=chathub&cid=${GUID}$`));
      assert.match(String(c.headers['asrs-user-agent']), /^Microsoft\.Azure\.SignalR\/1\.34\.0/);
      assert.match(String(c.headers['x-asrs-server-id']), /_[0-9a-f]{32}$/);
      assert.equal(c.headers['x-requested-with'], 'XMLHttpRequest');
      assert.equal(c.headers['sec-websocket-protocol'], undefined, 'no subprotocol');
      assert.equal(c.tokenHeader?.alg, 'RS256', 'the identity provider\'s token, not a service-style HS256 token');
      assert.equal(c.tokenClaims?.aud, 'https://signalr.azure.com');
      assert.equal(c.tokenClaims?.appid, appId);
      assert.equal(c.tokenClaims?.appidacr, appidacr, 'secret = 1, certificate = 2');
    }
  }
});

test('start-up: HandshakeRequest [1,1,0,"",0,{},false] alone in the first frame, then AccessKeyRequest [28, token, null, {}]', { skip, timeout: 30_000 }, async () => {
  const c = one.connections[0]!;
  assert.equal(c.firstFrameHex, '0897010100a00080c2');
  assert.deepEqual(sent(c, 1)[0], [1, 1, 0, '', 0, {}, false]);
  await one.waitFor('AccessKeyRequest', () => sent(c, 28).length > 0);
  const [type, token, kid, ext] = sent(c, 28)[0]!;
  assert.equal(type, 28);
  assert.equal(decodeJwt(token as string).aud, 'https://signalr.azure.com');
  assert.equal(kid, null);
  assert.deepEqual(ext, {});
  assert.equal(one.accessKeyRequests.length + two.accessKeyRequests.length, 0, 'the key is fetched lazily, not at start-up');
});

test('negotiate fetches GET /api/v1/auth/accessKey (no query) of the chosen endpoint only, and signs with KeyId/AccessKey: aud without port', { skip, timeout: 30_000 }, async () => {
  const res = await fetch(`${app.url}/chat/negotiate?negotiateVersion=1&user=alice`, { method: 'POST' });
  assert.equal(res.status, 200);
  const body = await res.json() as { url: string; accessToken: string };
  const chosen = body.url.startsWith(one.origin) ? one : two;
  const other = chosen === one ? two : one;
  assert.equal(chosen.accessKeyRequests.length, 1);
  assert.equal(chosen.accessKeyRequests[0]!.url, '/api/v1/auth/accessKey');
  assert.equal(other.accessKeyRequests.length, 0);
  assert.deepEqual(decodeProtectedHeader(body.accessToken), { alg: 'HS256', typ: 'JWT', kid: 'standin-kid' });
  const claims = decodeJwt(body.accessToken);
  assert.equal(claims.aud, 'https://localhost/client/?hub=chathub');
  assert.equal(claims.iss, 'azure-signalr');
  assert.equal(claims['asrs.s.uid'], 'alice');
  assert.equal(claims['asrs.s.secn'], '2', 'endpoint count');
  assert.equal(claims.nameid, 'alice', 'short JWT claim names');
  assert.match(body.url, new RegExp(`^${chosen.origin}/client/\\?hub=chathub&asrs\\.op=%2Fchat&negotiateVersion=1&user=alice&asrs_request_id=`));
});

test('a client: OpenConnection with long claim types gives UserIdentifier, Name, roles; each hub operation\'s message', { skip, timeout: 30_000 }, async () => {
  const c = one.connections[0]!;
  const replies = () => sent(c, 6).filter((m) => m[1] === 'p1').flatMap((m) => hubMessages(m[2]));
  openClient(c, 'p1', { 'asrs.s.uid': 'alice', 'asrs.s.aut': 'LapisTest', [NAME]: 'Alice', [ROLE]: 'admin' });
  await one.waitFor('handshake response', () => replies().length >= 1);
  assert.deepEqual(replies()[0], {});
  const ids = ['Echo', 'WhoAmI', 'IsInRole', 'Broadcast', 'JoinGroup', 'SendToGroup', 'SendToUser', 'SendToCaller', 'LeaveGroup'];
  const args: Record<string, unknown[]> = { Echo: ['hi'], WhoAmI: [], IsInRole: ['admin'], Broadcast: ['b'], JoinGroup: ['g1'], SendToGroup: ['g1', 'm'], SendToUser: ['alice', 'u'], SendToCaller: ['c'], LeaveGroup: ['g1'] };
  const invocation: Record<string, string> = {};
  for (const target of ids) {
    invocation[target] = invoke(c, 'p1', target, args[target]!);
    await one.waitFor(`${target} completion`, () => replies().some((r) => r.type === 3 && r.invocationId === invocation[target]));
  }
  const result = (t: string) => replies().find((r) => r.type === 3 && r.invocationId === invocation[t])!.result;
  assert.equal(result('Echo'), 'hi');
  const who = result('WhoAmI') as { userIdentifier: string; name: string; authenticationType: string; claims: { type: string }[] };
  assert.equal(who.userIdentifier, 'alice');
  assert.equal(who.name, 'Alice');
  assert.equal(who.authenticationType, 'LapisTest', 'asrs.s.aut sets the authentication type');
  assert.ok(!who.claims.some((x) => x.type.startsWith('asrs.s.')), 'system claims are not exposed');
  assert.equal(result('IsInRole'), true);
  assert.equal(result('JoinGroup'), 'g1', 'Join returned: acked Ok here and NotFound by the other endpoint');
  // Where each operation went: the client's own endpoint and, for multicasts and group changes, the other one too.
  const on = (s: ServiceStandin, type: number) => s.connections.flatMap((x) => sent(x, type));
  assert.deepEqual(on(one, 10).at(-1)!.slice(0, 2), [10, []]);
  assert.equal(on(two, 10).length, on(one, 10).length, 'Broadcast goes to every endpoint');
  assert.deepEqual(on(one, 18).at(-1)!.slice(0, 3), [18, 'p1', 'g1']);
  assert.equal(on(two, 18).length, 1, 'JoinGroupWithAck goes to every endpoint');
  assert.deepEqual(on(one, 13).at(-1)!.slice(0, 3), [13, 'g1', []]);
  assert.deepEqual(on(one, 8).at(-1)!.slice(0, 2), [8, 'alice']);
  assert.deepEqual(on(one, 7).at(-1)!.slice(0, 2), [7, ['p1']]);
  assert.equal(on(two, 7).length, 0, 'data for a connection stays on its endpoint');
  assert.deepEqual(on(one, 19).at(-1)!.slice(0, 3), [19, 'p1', 'g1']);
  const payloads = on(one, 10).at(-1)![2] as Record<string, Uint8Array>;
  assert.deepEqual(hubMessages(payloads.json), [{ type: 1, target: 'broadcast', arguments: ['p1', 'b'] }]);
  assert.deepEqual(sent(c, 6).find((m) => m[1] === 'p1')![3], { 5: 1 }, 'DataMessageType 1 = handshake');

  c.send([5, 'p1', '', {}, {}]);
  await one.waitFor('close frame', () => replies().some((r) => r.type === 7));
  assert.deepEqual(replies().at(-1), { type: 7, allowReconnect: true });
});

test('more operations: Others/OthersInGroup exclude the caller, Groups → 14, Users → 9, a client result → 34 to every endpoint (any server connection) and 35 back, Abort → Close frame then [5]', { skip, timeout: 30_000 }, async () => {
  const c = one.connections[0]!;
  const replies = (id: string) => sent(c, 6).filter((m) => m[1] === id).flatMap((m) => hubMessages(m[2]));
  openClient(c, 'q1', { 'asrs.s.uid': 'u1' });
  openClient(c, 'q2', { 'asrs.s.uid': 'u2' });
  await one.waitFor('handshakes', () => replies('q1').length >= 1 && replies('q2').length >= 1);
  const calls: [string, unknown[]][] = [['JoinGroup', ['g2']], ['SendToOthers', ['o']], ['SendToOthersInGroup', ['g2', 'oig']], ['SendToGroups', [['g1', 'g2'], 'gs']], ['SendToUsers', [['u1', 'u2'], 'us']]];
  for (const [target, args] of calls) {
    const id = invoke(c, 'q1', target, args);
    await one.waitFor(`${target} completion`, () => replies('q1').some((r) => r.type === 3 && r.invocationId === id));
  }
  const last = (type: number) => one.connections.flatMap((x) => sent(x, type)).at(-1)!;
  assert.deepEqual(last(10).slice(0, 2), [10, ['q1']]);
  assert.deepEqual(last(13).slice(0, 3), [13, 'g2', ['q1']]);
  assert.deepEqual(last(14).slice(0, 2), [14, ['g1', 'g2']]);
  assert.deepEqual(last(9).slice(0, 2), [9, ['u1', 'u2']]);
  assert.deepEqual(Object.keys(last(9)[2] as object).sort(), ['json', 'messagepack'], 'one payload per protocol the app registered, with no MessagePack client connected');

  const ask = fetch(`${app.url}/api/ask/q2?question=why`, { method: 'POST' });
  const inv = await one.waitFor('ClientInvocation', () => one.allMessages().find((m) => m.dir === 'in' && m.type === 34));
  const [, invocationId, connectionId, callerServerId, payloads] = inv.msg as [number, string, string, string, Record<string, Uint8Array>];
  assert.equal(connectionId, 'q2');
  assert.equal(callerServerId, c.headers['x-asrs-server-id']);
  assert.match(invocationId, /^q2-[0-9a-f]{32}-\d+$/);
  const [hubInvocation] = hubMessages(payloads.json);
  assert.deepEqual(hubInvocation, { type: 1, invocationId, target: 'ask', arguments: ['why'] });
  assert.deepEqual(two.allMessages().filter((m) => m.type === 34).map((m) => m.msg[1]), [invocationId], 'every endpoint gets it; the one without the client stays silent here');
  const completion = new TextEncoder().encode(`${JSON.stringify({ type: 3, invocationId, result: 'because' })}\x1e`);
  one.connections[inv.conn - 1]!.send([35, invocationId, connectionId, callerServerId, 'json', completion, {}]);
  assert.equal(await (await ask).text(), 'because');

  invoke(c, 'q2', 'Abort', []);
  await one.waitFor('CloseConnection from the app', () => sent(c, 5).some((m) => m[1] === 'q2'));
  assert.deepEqual(sent(c, 5).find((m) => m[1] === 'q2'), [5, 'q2', '', {}, {}]);
  assert.deepEqual(replies('q2').at(-1), { type: 7 }, 'the hub Close frame precedes it');
  assert.deepEqual(sent(c, 6).filter((m) => m[1] === 'q2').at(-1)![3], { 5: 4 }, 'DataMessageType 4 = close');
});

test('pings: the SDK answers a service ping with ["#clientInHub",n,"#client",m] and sends ["status","1"] on its own', { skip, timeout: 40_000 }, async () => {
  await one.waitFor('status ping', () => one.connections.some((c) => sent(c, 3).some((m) => m[1] === 'status')), 25_000);
  const pings = one.connections.flatMap((c) => sent(c, 3));
  assert.ok(pings.some((m) => m.length === 5 && m[1] === '#clientInHub' && m[3] === '#client'));
  assert.deepEqual(pings.find((m) => m[1] === 'status'), [3, 'status', '1']);
});

test('shutdown: ["shutdown","fin:0"] on every connection; answered with finack, the app exits at once', { skip, timeout: 30_000 }, async () => {
  const started = Date.now();
  await app.stop();
  const elapsed = Date.now() - started;
  for (const s of [one, two]) {
    for (const c of s.connections.filter((x) => !x.closed || x.messages.some((m) => m.type === 3 && m.msg[1] === 'shutdown'))) {
      assert.ok(sent(c, 3).some((m) => m[1] === 'shutdown' && m[2] === 'fin:0'), `connection ${c.id} got fin:0`);
    }
  }
  assert.ok(elapsed < 9_000, `stopped in ${elapsed} ms (the helper kills after 10 s)`);
  await sleep(100);
});
