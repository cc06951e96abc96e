/** Raw WebSocket tests for the client endpoint: handshake refusals and per-peer error handling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { start, rawClient, until, sleep, PRIMARY } from '../dataplane/helpers.ts';
import type { Harness } from '../dataplane/helpers.ts';

const JSON_P = 'json.webpubsub.azure.v1';
const RELIABLE = 'json.reliable.webpubsub.azure.v1';

async function clientToken(claims: Record<string, unknown>, aud: string, exp = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + exp).setAudience(aud).sign(new TextEncoder().encode(PRIMARY));
}

async function url(h: Harness, hub: string, opts: { userId?: string; roles?: string[]; groups?: string[] } = {}, extra = ''): Promise<string> {
  return (await h.client(hub).getClientAccessToken(opts)).url + extra;
}

const status = (p: Promise<unknown>, code: number) => assert.rejects(p, (e: any) => e.status === code);

test('handshake: tokens, anonymous policy, hub names, subprotocols, limits', async (t) => {
  const h = await start({ limits: { maxConnections: 3 } });
  t.after(() => h.close());
  const base = `ws://127.0.0.1:${h.port}`;
  await status(rawClient(`${base}/client/hubs/hub`, JSON_P), 401);
  await status(rawClient(`${base}/client/hubs/hub?access_token=garbage`, JSON_P), 401);
  const wrongAud = await clientToken({ sub: 'u' }, `${h.endpoint}/client/hubs/other`);
  await status(rawClient(`${base}/client/hubs/hub?access_token=${wrongAud}`, JSON_P), 401);
  const expired = await clientToken({ sub: 'u' }, `${h.endpoint}/client/hubs/hub`, -600);
  await assert.rejects(rawClient(`${base}/client/hubs/hub?access_token=${expired}`, JSON_P), (e: any) => e.status === 401 && /expired/.test(e.body));
  const restAud = await clientToken({}, `${h.endpoint}/api/hubs/hub/:send`);
  await status(rawClient(`${base}/client/hubs/hub?access_token=${restAud}`, JSON_P), 401);
  await status(rawClient(`${base}/client/hubs/1bad`, JSON_P), 400);
  await status(rawClient(`${base}/client/other`, JSON_P), 404);
  const badGroup = await clientToken({ 'webpubsub.group': '   ' }, `${h.endpoint}/client/hubs/hub`);
  await status(rawClient(`${base}/client/hubs/hub?access_token=${badGroup}`, JSON_P), 400);
  // A protobuf-only offer is served (protobuf.test.ts covers that protocol).
  const pb = await rawClient(await url(h, 'hub'), 'protobuf.webpubsub.azure.v1');
  assert.equal(pb.ws.protocol, 'protobuf.webpubsub.azure.v1');
  pb.ws.close();
  await pb.closed;
  await status(rawClient(await url(h, 'hub', {}, '&webpubsub_mode=bogus')), 400);
  await status(rawClient(await url(h, 'hub', {}, '&webpubsub_mode=sendToGroup')), 400);

  // Anonymous only where the hub allows it.
  h.settings.hubs['open'] = { anonymousConnectPolicy: 'allow' };
  const anon = await rawClient(`${base}/client/hubs/Open`, JSON_P);
  assert.deepEqual((await anon.next()).userId, null);
  await status(rawClient(`${base}/client/hubs/closed`, JSON_P), 401);

  // Token as Authorization header; `/client/?hub=`; claims as single strings; reliable preferred.
  const tok = await clientToken({ sub: 'hdr', role: 'webpubsub.joinLeaveGroup', 'webpubsub.group': 'g1' }, `${h.endpoint}/client/hubs/hub`);
  const viaHeader = await rawClient(`${base}/client/?hub=hub`, [JSON_P, RELIABLE], { authorization: `Bearer ${tok}` });
  assert.equal(viaHeader.ws.protocol, RELIABLE);
  const connected = await viaHeader.next();
  assert.equal(connected.userId, 'hdr');
  assert.equal(typeof connected.reconnectionToken, 'string');
  assert.equal(await h.client('hub').groupExists('g1'), true);

  const plain = await rawClient(await url(h, 'hub'));
  assert.equal(plain.ws.protocol, '');
  // Limit of 3 reached: a clear refusal.
  await assert.rejects(rawClient(await url(h, 'hub'), JSON_P), (e: any) => e.status === 429 && /connection limit of 3/.test(e.body));
  for (const c of [anon, viaHeader, plain]) c.ws.close();
});

test('bad frames close only the offending peer, with the documented codes', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const witness = await rawClient(await url(h, 'hub', { userId: 'w' }), JSON_P);
  const cases: Array<[string, (c: Awaited<ReturnType<typeof rawClient>>) => void, number]> = [
    ['invalid json', (c) => c.ws.send('{nope'), 1007],
    ['not an object', (c) => c.ws.send('[1,2]'), 1007],
    ['unknown type', (c) => c.send({ type: 'explode' }), 1007],
    ['bad ackId', (c) => c.send({ type: 'joinGroup', group: 'g', ackId: 'x' }), 1007],
    ['binary frame', (c) => c.ws.send(Buffer.from('{"type":"ping"}')), 1003],
    ['invalid utf-8', (c) => c.ws.send(Buffer.from([0x7b, 0xff, 0x7d]), { binary: false }), 1007],
    ['oversized frame', (c) => c.ws.send('x'.repeat(1024 * 1024 + 1)), 1009],
  ];
  for (const [name, act, code] of cases) {
    const c = await rawClient(await url(h, 'hub'), JSON_P);
    await c.next();
    act(c);
    const closed = await c.closed;
    assert.equal(closed.code, code, name);
  }
  await h.client('hub').sendToAll('still here', { contentType: 'text/plain' });
  assert.equal((await witness.next((m) => m.type === 'message')).data, 'still here');
  witness.ws.close();
});

test('JSON protocol details: pong, acks, invalid groups, join floods, preview types, events', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const c = await rawClient(await url(h, 'hub', { roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroups.room.*'] }), JSON_P);
  await c.next();
  c.send({ type: 'ping' });
  assert.deepEqual(await c.next((m) => m.type === 'pong'), { type: 'pong' });
  c.send({ type: 'joinGroup', group: '   ', ackId: 1 });
  assert.equal((await c.next((m) => m.ackId === 1)).error.name, 'BadRequest');
  // Wildcard role: room.* but not room.a.b
  c.send({ type: 'sendToGroup', group: 'room.a', dataType: 'text', data: 'x', ackId: 2 });
  assert.equal((await c.next((m) => m.ackId === 2)).success, true);
  c.send({ type: 'sendToGroup', group: 'room.a.b', dataType: 'text', data: 'x', ackId: 3 });
  assert.equal((await c.next((m) => m.ackId === 3)).error.name, 'Forbidden');
  c.send({ type: 'sendToGroup', group: 'room.a', dataType: 'json', data: null, ackId: 4 });
  assert.equal((await c.next((m) => m.ackId === 4)).error.name, 'BadRequest');
  c.send({ type: 'sendToGroup', group: 'room.a', dataType: 'binary', data: '***', ackId: 5 });
  assert.equal((await c.next((m) => m.ackId === 5)).error.name, 'BadRequest');
  c.send({ type: 'invoke', invocationId: '7', target: 'event', event: 'x', dataType: 'text', data: 'hi' });
  const inv = await c.next((m) => m.type === 'invokeResponse');
  assert.equal(inv.invocationId, '7');
  assert.equal(inv.success, false);
  c.send({ type: 'streamData', streamId: 's1', streamSequenceId: 1, dataType: 'text', data: 'x' });
  assert.equal((await c.next((m) => m.type === 'streamClosed')).error.name, 'StreamNotFound');
  c.send({ type: 'event', event: 'e', dataType: 'text', data: 'x', ackId: 6 });
  assert.equal((await c.next((m) => m.ackId === 6)).error.name, 'InvocationFailed');

  // A join flood is refused past the per-connection limit, the connection survives.
  for (let i = 0; i < 5001; i++) c.send({ type: 'joinGroup', group: `flood-${i}`, ackId: 100 + i });
  const last = await c.next((m) => m.ackId === 5100, 10000);
  assert.equal(last.error.name, 'BadRequest');
  c.send({ type: 'ping' });
  await c.next((m) => m.type === 'pong');
  c.ws.close();
});

test('plain WebSocket clients: sendToGroup mode, sendEvent without handler, raw frames', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const listener = await rawClient(await url(h, 'hub', { groups: ['g'] }));
  const sender = await rawClient(await url(h, 'hub', { roles: ['webpubsub.sendToGroup.g'], groups: ['g'] }, '&webpubsub_mode=sendToGroup&group=g&noEcho=true'));
  sender.ws.send('text frame');
  sender.ws.send(Buffer.from([1, 2]));
  await until(() => listener.texts.length === 1 && listener.binaries.length === 1);
  assert.equal(listener.texts[0], 'text frame');
  assert.deepEqual([...listener.binaries[0]!], [1, 2]);
  await sleep(50);
  assert.equal(sender.texts.length + sender.binaries.length, 0); // noEcho
  await h.client('hub').sendToAll({ a: 1 });
  await until(() => listener.texts.length === 2);
  assert.equal(listener.texts[1], '{"a":1}');

  const forbidden = await rawClient(await url(h, 'hub', {}, '&webpubsub_mode=sendToGroup&group=g'));
  forbidden.ws.send('x');
  assert.equal((await forbidden.closed).code, 1008);
  // sendEvent mode with no event handler: the service ends the connection (1011).
  listener.ws.send('hello');
  assert.equal((await listener.closed).code, 1011);
  sender.ws.close();
});

test('reliable protocol over raw WebSocket: sequence ids, acks, resume and refused resume', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const u = await url(h, 'hub', { userId: 'r', groups: ['g'] });
  const c = await rawClient(u, RELIABLE);
  const { connectionId, reconnectionToken } = await c.next();
  const sc = h.client('hub');
  for (let i = 1; i <= 3; i++) await sc.group('g').sendToAll({ i });
  await until(() => c.messages.filter((m: any) => m.type === 'message').length === 3);
  assert.deepEqual(c.messages.filter((m: any) => m.type === 'message').map((m: any) => m.sequenceId), [1, 2, 3]);
  c.send({ type: 'sequenceAck', sequenceId: 2 });
  await sleep(20);
  c.ws.terminate(); // abnormal loss (1006): the session waits for a resume
  await sleep(50);
  await sc.group('g').sendToAll({ i: 4 });

  // A wrong reconnection token is accepted, then closed with 1008 (no HTTP-level retry loop).
  const wrong = await rawClient(`${u}&awps_connection_id=${connectionId}&awps_reconnection_token=nope`, RELIABLE);
  assert.equal((await wrong.closed).code, 1008);

  const resumed = await rawClient(`${u}&awps_connection_id=${connectionId}&awps_reconnection_token=${encodeURIComponent(reconnectionToken)}`, RELIABLE);
  await until(() => resumed.messages.length === 2);
  // Unacked #3 replayed with its original id, then #4; no second `connected`.
  assert.deepEqual(resumed.messages.map((m: any) => [m.sequenceId, m.data.i]), [[3, 3], [4, 4]]);
  await sc.group('g').sendToAll({ i: 5 });
  assert.equal((await resumed.next((m) => m.data?.i === 5)).sequenceId, 5);
  // A client close with 1000 ends the session: no later resume.
  resumed.ws.close(1000);
  await resumed.closed;
  await until(async () => !(await sc.connectionExists(connectionId)));
  const late = await rawClient(`${u}&awps_connection_id=${connectionId}&awps_reconnection_token=${encodeURIComponent(reconnectionToken)}`, RELIABLE);
  assert.equal((await late.closed).code, 1008);
});

test('a non-reading client is dropped without slowing the others', async (t) => {
  // Default keep-alive: the reading peer's pongs wait behind 25 MiB of messages, so a short interval
  // would cut it as unresponsive whenever the test process is slow to read (a loaded CI machine).
  const h = await start({ limits: { maxSocketBufferBytes: 1024 * 1024 } });
  t.after(() => h.close());
  const slow = await rawClient(await url(h, 'hub', { userId: 'slow' }), JSON_P);
  const fast = await rawClient(await url(h, 'hub', { userId: 'fast' }), JSON_P);
  await slow.next();
  await fast.next();
  (slow.ws as any)._socket.pause(); // stops reading: its buffers fill up
  const chunk = Buffer.alloc(256 * 1024, 98);
  const N = 100; // 25 MiB: more than loopback kernel buffers hold
  for (let i = 0; i < N; i++) await h.client('hub').sendToAll(chunk.toString(), { contentType: 'text/plain' });
  await until(() => fast.messages.filter((m: any) => m.type === 'message').length === N, 30_000); // bounds, not timings: generous for a loaded machine
  await until(async () => !(await h.client('hub').userExists('slow')), 15_000);
  (slow.ws as any)._socket.resume();
  assert.equal(await h.client('hub').userExists('fast'), true);
  fast.ws.close();
});

test('a peer that answers nothing, not even pings, is cut after two keep-alive rounds; one that answers stays', async (t) => {
  const h = await start({ timing: { keepAliveIntervalMs: 1000 } }); // a peer must pong within one interval: room for a loaded machine
  t.after(() => h.close());
  const fast = await rawClient(await url(h, 'hub', { userId: 'fast' }), JSON_P);
  await fast.next();
  const idle = await rawClient(await url(h, 'hub', { userId: 'idle' }), JSON_P);
  (idle.ws as any)._socket.pause();
  await until(async () => !(await h.client('hub').userExists('idle')), 10_000);
  (idle.ws as any)._socket.resume();
  assert.equal(await h.client('hub').userExists('fast'), true);
  fast.ws.close();
});

test('service close sends disconnected and the right close codes', async () => {
  const h = await start();
  const json = await rawClient(await url(h, 'hub'), JSON_P);
  const reliable = await rawClient(await url(h, 'hub'), RELIABLE);
  const plain = await rawClient(await url(h, 'hub'));
  await json.next();
  await reliable.next();
  await h.close();
  assert.equal((await json.closed).code, 1001);
  assert.equal((await reliable.closed).code, 1008); // reliable clients must not try to resume
  assert.equal((await plain.closed).code, 1001);
  assert.equal((await json.next((m) => m.event === 'disconnected')).message, 'The service is shutting down.');
});

test('a malformed upgrade request is refused without affecting the server', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const { connect } = await import('node:net');
  const answer = await new Promise<string>((resolve) => {
    const s = connect(h.port, '127.0.0.1', () => {
      s.write('GET //bad:port/client/hubs/x HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    });
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('close', () => resolve(data));
  });
  assert.match(answer, /^HTTP\/1\.1 4\d\d/);
  const c = await rawClient(await url(h, 'hub'), JSON_P);
  assert.equal((await c.next()).event, 'connected');
  c.ws.close();
});
