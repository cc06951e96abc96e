/**
 * The SignalR client endpoint on the messaging core, driven by the unmodified @microsoft/signalr
 * client: REST-shaped operations (CoreHubOperations) reach clients of both hub protocols, sticky
 * user groups with TTL, closes with a reason, existence checks, the connection limit.
 * Authentication is a stand-in here (the token text is the user id); the real validator has its own tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { InProcessBackplane } from '../../../src/backplane/index.ts';
import { MessagingCore } from '../../../src/messaging/index.ts';
import { SignalRMessage } from '../../../src/protocols/signalr/index.ts';
import { SignalRClientEndpoint } from '../../../src/dataplane/signalr/client/index.ts';
import { CoreClientRuntime, CoreHubOperations } from '../../../src/dataplane/signalr/runtime/index.ts';

async function start(maxConnections?: number, maxPendingNegotiations?: number) {
  const core = new MessagingCore({ channel: 'sig', backplane: new InProcessBackplane(), maxConnections });
  const endpoint = new SignalRClientEndpoint({
    log: pino({ level: 'silent' }),
    authenticate: (req, url) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || url.searchParams.get('access_token') || '';
      return token ? { ok: true, identity: { userId: token === 'anon' ? undefined : token, claims: {} } } : { ok: false, status: 401, message: 'no token' };
    },
    runtime: new CoreClientRuntime(core),
    maxPendingNegotiations,
  });
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/client/negotiate' && req.method === 'POST') endpoint.negotiate(req, res, url);
    else if (url.pathname === '/client/') endpoint.connection(req, res, url);
    else res.writeHead(404).end();
  });
  http.on('upgrade', (req, socket, head) => endpoint.upgrade(req, socket, head, new URL(req.url ?? '/', 'http://x')));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/client/?hub=Chat`;
  const clients: HubConnection[] = [];
  return {
    core, ops: new CoreHubOperations(core), endpoint, url,
    async connect(user: string, protocol: 'json' | 'messagepack' = 'json', transport = HttpTransportType.WebSockets) {
      const b = new HubConnectionBuilder().withUrl(url, { transport, accessTokenFactory: () => user }).configureLogging(LogLevel.None);
      const c = (protocol === 'messagepack' ? b.withHubProtocol(new MessagePackHubProtocol()) : b).build();
      await c.start();
      clients.push(c);
      return c;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.stop()));
      endpoint.close();
      core.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

const next = (c: HubConnection, target: string) => new Promise<unknown[]>((r) => c.on(target, (...a: unknown[]) => r(a)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('operations reach JSON and MessagePack clients: broadcast (excluded), user, group, connection; existence', async (t) => {
  const s = await start();
  t.after(() => s.stop());
  const alice = await s.connect('alice');
  const bob = await s.connect('bob', 'messagepack');
  const carol = await s.connect('carol', 'json', HttpTransportType.LongPolling);
  const got = Promise.all([next(alice, 'news'), next(bob, 'news')]);
  let carolGot = 0;
  carol.on('news', () => carolGot++);
  s.ops.broadcast('chat', SignalRMessage.invocation('news', ['hi', { n: 1 }]), [carol.connectionId!]);
  assert.deepEqual(await got, [['hi', { n: 1 }], ['hi', { n: 1 }]]);
  const toBob = next(bob, 'dm');
  s.ops.sendToUser('chat', 'bob', SignalRMessage.invocation('dm', [42]));
  assert.deepEqual(await toBob, [42]);
  assert.equal(await s.ops.addConnectionToGroup('chat', alice.connectionId!, 'room'), true);
  assert.equal(await s.ops.addConnectionToGroup('chat', 'nope', 'room'), false);
  const inRoom = next(alice, 'room');
  s.ops.sendToGroup('chat', 'room', SignalRMessage.invocation('room', ['x']), []);
  assert.deepEqual(await inRoom, ['x']);
  const toCarol = next(carol, 'direct');
  s.ops.sendToConnection('chat', carol.connectionId!, SignalRMessage.invocation('direct', []));
  assert.deepEqual(await toCarol, []);
  assert.equal(carolGot, 0, 'the excluded connection got no broadcast');
  assert.equal(await s.ops.connectionExists('chat', alice.connectionId!), true);
  assert.equal(await s.ops.userExists('chat', 'bob'), true);
  assert.equal(await s.ops.userExists('chat', 'dave'), false);
  assert.equal(await s.ops.groupExists('chat', 'room'), true);
  await s.ops.removeConnectionFromGroup('chat', alice.connectionId!, 'room');
  assert.equal(await s.ops.groupExists('chat', 'room'), false);
});

test('sticky user groups: later connections join; TTL expiry leaves; ttl 0 is not remembered; remove all', async (t) => {
  const s = await start();
  t.after(() => s.stop());
  await s.ops.addUserToGroup('chat', 'erin', 'vip', undefined);
  await s.ops.addUserToGroup('chat', 'erin', 'flash', 1);
  await s.ops.addUserToGroup('chat', 'frank', 'now-only', 0);
  assert.equal(await s.ops.userInGroup('chat', 'erin', 'vip'), true);
  assert.equal(await s.ops.userInGroup('chat', 'frank', 'now-only'), false, 'ttl 0 remembers nothing');
  const erin = await s.connect('erin');
  const vip = next(erin, 'vip');
  s.ops.sendToGroup('chat', 'vip', SignalRMessage.invocation('vip', ['welcome']), []);
  assert.deepEqual(await vip, ['welcome'], 'a connection opened after the membership joined the group');
  assert.equal(await s.ops.groupExists('chat', 'flash'), true);
  await sleep(2_200);
  assert.equal(await s.ops.userInGroup('chat', 'erin', 'flash'), false);
  assert.equal(await s.ops.groupExists('chat', 'flash'), false, 'the expired membership took the connection out of the group');
  await s.ops.removeUserFromAllGroups('chat', 'erin');
  assert.equal(await s.ops.userInGroup('chat', 'erin', 'vip'), false);
  assert.equal(await s.ops.groupExists('chat', 'vip'), false);
});

test('close with a reason reaches the client; closing unknown connections reports it; the connection limit refuses negotiate', async (t) => {
  const s = await start(2);
  t.after(() => s.stop());
  const a = await s.connect('a');
  const b = await s.connect('b', 'messagepack');
  await assert.rejects(s.connect('c'), /429/);
  const closedA = new Promise<Error | undefined>((r) => a.onclose(r));
  assert.equal(await s.ops.closeConnection('chat', a.connectionId!, 'kicked'), true);
  assert.match(String(await closedA), /Server returned an error on close: kicked/);
  assert.equal(await s.ops.closeConnection('chat', 'nope', undefined), false);
  const closedB = new Promise<Error | undefined>((r) => b.onclose(r));
  await s.ops.closeConnections('chat', { scope: 'user', userId: 'b' }, [], 'bye');
  assert.match(String(await closedB), /bye/);
  await sleep(50);
  assert.equal(s.core.connectionCount, 0);
  const anon = await s.connect('anon');
  const x = next(anon, 'x');
  s.ops.broadcast('chat', SignalRMessage.invocation('x', []), []);
  await x;
  const res = await anon.invoke('whatever').catch((e: Error) => e.message);
  assert.match(String(res), /No upstream is configured for hub 'chat'/);
});

test('a negotiate flood stops at the pending limit with 429', async (t) => {
  const s = await start(undefined, 2);
  t.after(() => s.stop());
  const base = s.url.replace('/client/?hub=Chat', '');
  const negotiate = () => fetch(`${base}/client/negotiate?hub=chat&negotiateVersion=1`, { method: 'POST', headers: { authorization: 'Bearer flood' } });
  assert.equal((await negotiate()).status, 200);
  assert.equal((await negotiate()).status, 200);
  const refused = await negotiate();
  assert.equal(refused.status, 429);
  assert.match(await refused.text(), /Too many connections are negotiating/);
  await assert.rejects(s.connect('x'), /429/);
});

test('WebSockets that never send their handshake count against the same bound until they do or time out', async (t) => {
  const { WebSocket } = await import('ws');
  const s = await start(undefined, 2);
  t.after(() => s.stop());
  const wsUrl = s.url.replace('http://', 'ws://');
  const silent = await Promise.all([1, 2].map(() => new Promise<InstanceType<typeof WebSocket>>((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers: { authorization: 'Bearer quiet' } });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  })));
  const base = s.url.replace('/client/?hub=Chat', '');
  const refused = await fetch(`${base}/client/negotiate?hub=chat&negotiateVersion=1`, { method: 'POST', headers: { authorization: 'Bearer next' } });
  assert.equal(refused.status, 429, 'two silent sockets hold both pending slots');
  // Once one of them sends its handshake, a slot is free again.
  silent[0]!.send('{"protocol":"json","version":1}\u001e');
  await sleep(100);
  const accepted = await fetch(`${base}/client/negotiate?hub=chat&negotiateVersion=1`, { method: 'POST', headers: { authorization: 'Bearer next' } });
  assert.equal(accepted.status, 200);
  for (const ws of silent) ws.terminate();
});
