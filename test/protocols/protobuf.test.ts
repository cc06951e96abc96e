/**
 * `protobuf.webpubsub.azure.v1` with a client generated from Azure's .proto: handshake, acks,
 * every data type, server messages, events, preview types, bad frames, and groups shared with
 * JSON and plain WebSocket clients (each receives in its own encoding, as Azure converts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import type { OnGroupDataMessageArgs } from '@azure/web-pubsub-client';
import { anyPack, anyUnpack, Int32ValueSchema } from '@bufbuild/protobuf/wkt';
import type { Any } from '@bufbuild/protobuf/wkt';
import type { ClientEventHooks } from '../../src/protocols/webpubsub/index.ts';
import type { Payload } from '../../src/messaging/index.ts';
import { CONTENT_TYPES } from '../../src/upstream/cloudevents.ts';
import { start, rawClient, until, sleep } from '../dataplane/helpers.ts';
import type { Harness } from '../dataplane/helpers.ts';
import { anyBytes, binary, dataOf, json, PROTOBUF, PROTOBUF_RELIABLE, protobuf, protobufClient, text } from '../helpers/protobuf-client.ts';
import { UpstreamMessageSchema } from '../../src/protocols/webpubsub/protobuf/gen/webpubsub.client_pb.ts';

const JSON_P = 'json.webpubsub.azure.v1';
const ALL = ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'];

async function url(h: Harness, hub: string, opts: { userId?: string; roles?: string[]; groups?: string[] } = {}, extra = ''): Promise<string> {
  return (await h.client(hub).getClientAccessToken(opts)).url + extra;
}

const ackError = async (p: Promise<{ success: boolean; error?: { name: string } | undefined }> | undefined) => {
  const a = await p!;
  return a.success ? 'success' : a.error!.name;
};

test('protobuf handshake: accepted and echoed, connected first, JSON preferred when both are offered, ping/pong', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const c = await protobufClient(await url(h, 'hub', { userId: 'u1' }));
  assert.equal(c.protocol, PROTOBUF);
  const connected = await c.connected;
  assert.equal(connected.userId, 'u1');
  assert.equal(typeof connected.connectionId, 'string');
  assert.equal(connected.reconnectionToken, undefined); // not reliable
  assert.equal(c.messages[0]!.message.case, 'systemMessage');
  c.ping();
  await c.next((m) => m.message.case === 'pongMessage');

  const both = await rawClient(await url(h, 'hub'), [PROTOBUF, JSON_P]);
  assert.equal(both.ws.protocol, JSON_P);
  both.ws.close();

  // Anonymous: user_id is the empty string (proto3 has no null).
  h.settings.hubs['open'] = { anonymousConnectPolicy: 'allow' };
  const anon = await protobufClient(`ws://127.0.0.1:${h.port}/client/hubs/open`);
  assert.equal((await anon.connected).userId, '');
  assert.deepEqual(c.rejects, []);
  c.ws.close();
  anon.ws.close();
});

test('protobuf acks: success, Forbidden, BadRequest, Duplicate; preview types answered, not fatal', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const c = await protobufClient(await url(h, 'hub', { roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup.room'] }));
  await c.connected;
  assert.equal(await ackError(c.joinGroup('room', 1)), 'success');
  assert.equal(await ackError(c.joinGroup('room', 1)), 'Duplicate');
  assert.equal(await ackError(c.joinGroup('   ', 2)), 'BadRequest');
  assert.equal(await ackError(c.sendToGroup('other', text('x'), { ackId: 3 })), 'Forbidden');
  // A send with no data member set is refused with BadRequest (the connection stays).
  c.send({ message: { case: 'sendToGroupMessage', value: { group: 'room', ackId: 4n } } });
  assert.equal(await ackError(c.ack(4)), 'BadRequest');
  c.send({ message: { case: 'sendToGroupMessage', value: { group: 'room', ackId: 5n, data: { data: { case: 'jsonData', value: '{nope' } } } } });
  assert.equal(await ackError(c.ack(5)), 'BadRequest');
  assert.equal(await ackError(c.sendEvent('ev', text('x'), 6)), 'InvocationFailed');
  assert.equal(await ackError(c.leaveGroup('room', 7)), 'success');
  c.send({ message: { case: 'setGroupStateMessage', value: { group: 'room', ackId: 8n } } });
  assert.equal(await ackError(c.ack(8)), 'BadRequest');
  c.send({ message: { case: 'invokeEventMessage', value: { event: 'x', invocationId: 'inv-1', data: text('x') } } });
  const inv = await c.next((m) => m.message.case === 'invokeResponseMessage');
  assert.equal(inv.message.case === 'invokeResponseMessage' && inv.message.value.error?.name, 'InvocationFailed');
  c.send({ message: { case: 'streamDataMessage', value: { streamId: 's1' } } });
  const closed = await c.next((m) => m.message.case === 'streamClosedMessage');
  assert.equal(closed.message.case === 'streamClosedMessage' && closed.message.value.error?.name, 'StreamNotFound');
  c.send({ message: { case: 'sendToGroupMessage', value: { group: 'room', ackId: 9n, stream: { streamId: 's2' } } } });
  assert.equal(await ackError(c.ack(9)), 'BadRequest');
  c.ping();
  await c.next((m) => m.message.case === 'pongMessage');
  c.ws.close();
});

test('bad protobuf frames close only that peer with 1007', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const witness = await protobufClient(await url(h, 'hub'));
  await witness.connected;
  const cases: Array<[string, Uint8Array]> = [
    ['garbage', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ['truncated', toBinary(UpstreamMessageSchema, create(UpstreamMessageSchema, { message: { case: 'joinGroupMessage', value: { group: 'abc' } } })).subarray(0, 4)],
    ['empty message', new Uint8Array(0)],
    ['ack id past 2^53', toBinary(UpstreamMessageSchema, create(UpstreamMessageSchema, { message: { case: 'joinGroupMessage', value: { group: 'g', ackId: 2n ** 60n } } }))],
  ];
  for (const [name, bytes] of cases) {
    const c = await protobufClient(await url(h, 'hub'));
    await c.connected;
    c.sendRaw(bytes);
    assert.equal((await c.closed).code, 1007, name);
    const last = c.messages.at(-1)!;
    assert.equal(last.message.case === 'systemMessage' && last.message.value.message.case, 'disconnectedMessage', name);
  }
  await h.client('hub').sendToAll('still here', { contentType: 'text/plain' });
  assert.deepEqual(dataOf(await witness.nextData()), { case: 'textData', value: 'still here' });
  witness.ws.close();
});

test('server messages reach protobuf clients in every data type; REST close sends disconnected', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const c = await protobufClient(await url(h, 'hub', { userId: 'u', groups: ['g'] }));
  const { connectionId } = await c.connected;
  const sc = h.client('hub');
  await sc.sendToAll('hello', { contentType: 'text/plain' });
  await sc.sendToAll({ a: 1 });
  await sc.group('g').sendToAll(Buffer.from([1, 2, 3]));
  const got = [await c.nextData(), await c.nextData(), await c.nextData()];
  assert.deepEqual(got.map((m) => [m.from, m.group, m.sequenceId]), [['server', undefined, undefined], ['server', undefined, undefined], ['group', 'g', undefined]]);
  assert.deepEqual(dataOf(got[0]!), { case: 'textData', value: 'hello' });
  assert.deepEqual(dataOf(got[1]!), { case: 'jsonData', value: '{"a":1}' });
  assert.deepEqual([...(dataOf(got[2]!).value as Uint8Array)], [1, 2, 3]);
  await sc.closeConnection(connectionId, { reason: 'bye now' });
  const d = await c.next((m) => m.message.case === 'systemMessage' && m.message.value.message.case === 'disconnectedMessage');
  assert.equal(d.message.case === 'systemMessage' && d.message.value.message.case === 'disconnectedMessage' && d.message.value.message.value.reason, 'bye now');
  assert.equal((await c.closed).code, 1000);
});

test('mixed group: protobuf, JSON and plain clients each receive in their own encoding', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const pb = await protobufClient(await url(h, 'hub', { userId: 'pb', roles: ALL, groups: ['g'] }));
  const js = await rawClient(await url(h, 'hub', { userId: 'js', roles: ALL, groups: ['g'] }), JSON_P);
  const plain = await rawClient(await url(h, 'hub', { groups: ['g'] }));
  await pb.connected;
  await js.next((m) => m.event === 'connected');
  const answer: Any = anyPack(Int32ValueSchema, create(Int32ValueSchema, { value: 42 }));

  // From the protobuf client, with noEcho: it gets nothing back.
  await pb.sendToGroup('g', text('t1'), { ackId: 1, noEcho: true });
  await pb.sendToGroup('g', json({ k: [1, 2] }), { ackId: 2, noEcho: true });
  await pb.sendToGroup('g', binary(new Uint8Array([7, 8])), { ackId: 3, noEcho: true });
  await pb.sendToGroup('g', protobuf(Int32ValueSchema, { value: 42 }), { ackId: 4, noEcho: true });
  const fromPb = [];
  for (let i = 0; i < 4; i++) fromPb.push(await js.next((m) => m.type === 'message'));
  assert.deepEqual(fromPb.map((m) => [m.from, m.group, m.fromUserId, m.dataType, m.data]), [
    ['group', 'g', 'pb', 'text', 't1'],
    ['group', 'g', 'pb', 'json', { k: [1, 2] }],
    ['group', 'g', 'pb', 'binary', 'Bwg='],
    ['group', 'g', 'pb', 'protobuf', anyBytes(answer).toString('base64')],
  ]);
  await until(() => plain.texts.length === 2 && plain.binaries.length === 2);
  assert.deepEqual(plain.texts, ['t1', '{"k":[1,2]}']);
  assert.deepEqual(plain.binaries.map((b) => b.toString('hex')), ['0708', anyBytes(answer).toString('hex')]);

  // From the JSON client: every dataType, including protobuf (base64 of an Any).
  js.send({ type: 'sendToGroup', group: 'g', dataType: 'text', data: 'j1', noEcho: true });
  js.send({ type: 'sendToGroup', group: 'g', dataType: 'json', data: { z: true }, noEcho: true });
  js.send({ type: 'sendToGroup', group: 'g', dataType: 'binary', data: 'AQI=', noEcho: true });
  js.send({ type: 'sendToGroup', group: 'g', dataType: 'protobuf', data: anyBytes(answer).toString('base64'), noEcho: true });
  js.send({ type: 'sendToGroup', group: 'g', dataType: 'protobuf', data: '/w==', ackId: 9, noEcho: true }); // not an Any
  assert.equal((await js.next((m) => m.ackId === 9)).error.name, 'BadRequest');
  const fromJs = [];
  for (let i = 0; i < 4; i++) fromJs.push(await pb.nextData());
  assert.deepEqual(fromJs.map((m) => [m.from, m.group]), Array(4).fill(['group', 'g']));
  assert.deepEqual(dataOf(fromJs[0]!), { case: 'textData', value: 'j1' });
  assert.deepEqual(dataOf(fromJs[1]!), { case: 'jsonData', value: '{"z":true}' });
  assert.deepEqual([...(dataOf(fromJs[2]!).value as Uint8Array)], [1, 2]);
  const received = dataOf(fromJs[3]!).value as Any;
  assert.equal(received.typeUrl, 'type.googleapis.com/google.protobuf.Int32Value');
  assert.equal(anyUnpack(received, Int32ValueSchema)?.value, 42);
  await sleep(30);
  assert.deepEqual(pb.rejects, []);
  pb.ws.close();
  js.ws.close();
  plain.ws.close();
});

test('protobuf events reach the event handler typed (protobuf_data as application/x-protobuf); replies come back', async (t) => {
  const seen: Array<[string, Payload['kind'], string]> = [];
  const events: ClientEventHooks = {
    hasUserEventHandler: () => true,
    userEvent: async (ctx, event, payload) => {
      seen.push([event, payload.kind, ctx.subprotocol ?? '']);
      if (event === 'echo') return payload;
      return undefined;
    },
  };
  const h = await start({ events });
  t.after(() => h.close());
  const c = await protobufClient(await url(h, 'hub'));
  await c.connected;
  assert.equal(await ackError(c.sendEvent('a', text('x'), 1)), 'success');
  assert.equal(await ackError(c.sendEvent('a', binary(new Uint8Array([1])), 2)), 'success');
  assert.equal(await ackError(c.sendEvent('a', json([1]), 3)), 'success');
  assert.equal(await ackError(c.sendEvent('echo', protobuf(Int32ValueSchema, { value: 5 }), 4)), 'success');
  assert.deepEqual(seen, [['a', 'text', PROTOBUF], ['a', 'binary', PROTOBUF], ['a', 'json', PROTOBUF], ['echo', 'protobuf', PROTOBUF]]);
  assert.equal(CONTENT_TYPES.protobuf, 'application/x-protobuf');
  // The reply (before the ack) is a server message carrying the same Any.
  const reply = await c.nextData();
  assert.equal(reply.from, 'server');
  assert.equal(anyUnpack(dataOf(reply).value as Any, Int32ValueSchema)?.value, 5);
  assert.equal(await ackError(c.sendEvent('  ', text('x'), 5)), 'BadRequest');
  c.ws.close();
});

test('mixed group with the official @azure/web-pubsub-client on the JSON side', async (t) => {
  const h = await start();
  const sdk = new WebPubSubClient(
    { getClientAccessUrl: async () => (await h.client('hub').getClientAccessToken({ userId: 'sdk', roles: ALL })).url },
    { messageRetryOptions: { maxRetries: 0 }, keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 1500 },
  );
  const got: OnGroupDataMessageArgs['message'][] = [];
  sdk.on('group-message', (e) => got.push(e.message));
  t.after(async () => { sdk.stop(); await h.close(); });
  await sdk.start();
  await sdk.joinGroup('mix');
  const pb = await protobufClient(await url(h, 'hub', { userId: 'pb', roles: ALL, groups: ['mix'] }));
  await pb.connected;
  const any42 = anyPack(Int32ValueSchema, create(Int32ValueSchema, { value: 42 }));

  await pb.sendToGroup('mix', text('hi sdk'), { ackId: 1, noEcho: true });
  await pb.sendToGroup('mix', json({ n: 1 }), { ackId: 2, noEcho: true });
  await pb.sendToGroup('mix', binary(new Uint8Array([5, 6])), { ackId: 3, noEcho: true });
  await pb.sendToGroup('mix', protobuf(Int32ValueSchema, { value: 42 }), { ackId: 4, noEcho: true });
  await until(() => got.length === 4);
  assert.deepEqual(got.slice(0, 2).map((m) => [m.group, m.fromUserId, m.dataType, m.data]), [
    ['mix', 'pb', 'text', 'hi sdk'],
    ['mix', 'pb', 'json', { n: 1 }],
  ]);
  assert.equal(got[2]!.dataType, 'binary');
  assert.deepEqual([...new Uint8Array(got[2]!.data as ArrayBuffer)], [5, 6]);
  assert.equal(got[3]!.dataType, 'protobuf');
  assert.deepEqual(Buffer.from(got[3]!.data as ArrayBuffer), anyBytes(any42));
  // Reliable JSON on the SDK side: the sequence ids it saw are 1..4.
  assert.deepEqual(got.map((m) => m.sequenceId), [1, 2, 3, 4]);

  await sdk.sendToGroup('mix', 'from sdk', 'text', { noEcho: true });
  await sdk.sendToGroup('mix', { deep: { x: [true] } }, 'json', { noEcho: true });
  await sdk.sendToGroup('mix', new Uint8Array([9]).buffer, 'binary', { noEcho: true });
  const packed = anyBytes(any42);
  await sdk.sendToGroup('mix', packed.buffer.slice(packed.byteOffset, packed.byteOffset + packed.length), 'protobuf', { noEcho: true });
  const fromSdk = [await pb.nextData(), await pb.nextData(), await pb.nextData(), await pb.nextData()];
  assert.deepEqual(dataOf(fromSdk[0]!), { case: 'textData', value: 'from sdk' });
  assert.deepEqual(JSON.parse(dataOf(fromSdk[1]!).value as string), { deep: { x: [true] } });
  assert.deepEqual([...(dataOf(fromSdk[2]!).value as Uint8Array)], [9]);
  assert.equal(anyUnpack(dataOf(fromSdk[3]!).value as Any, Int32ValueSchema)?.value, 42);
  pb.ws.close();
});

test('reliable protobuf: sequence ids from 1, replay of unacknowledged frames on resume, refused resume', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const u = await url(h, 'hub', { userId: 'r', groups: ['g'], roles: ALL });
  const c = await protobufClient(u, { reliable: true });
  assert.equal(c.protocol, PROTOBUF_RELIABLE);
  const { connectionId, reconnectionToken } = await c.connected;
  assert.equal(typeof reconnectionToken, 'string');
  const sc = h.client('hub');
  for (let i = 1; i <= 3; i++) await sc.group('g').sendToAll(`m${i}`, { contentType: 'text/plain' });
  const first = [await c.nextData(), await c.nextData(), await c.nextData()];
  assert.deepEqual(first.map((m) => [m.sequenceId, dataOf(m).value]), [[1n, 'm1'], [2n, 'm2'], [3n, 'm3']]);
  assert.equal(await ackError(c.joinGroup('other', 1)), 'success');
  c.sequenceAck(2);
  await sleep(20);
  c.ws.terminate(); // abnormal loss: the session waits for its client
  await sleep(50);
  await sc.group('g').sendToAll('m4', { contentType: 'text/plain' });

  const wrong = await protobufClient(`${u}&awps_connection_id=${connectionId}&awps_reconnection_token=nope`, { reliable: true });
  assert.equal((await wrong.closed).code, 1008);
  // Another subprotocol cannot resume it either.
  const asJson = await rawClient(`${u}&awps_connection_id=${connectionId}&awps_reconnection_token=${encodeURIComponent(reconnectionToken!)}`, 'json.reliable.webpubsub.azure.v1');
  assert.equal((await asJson.closed).code, 1008);

  const resumed = await c.reconnect();
  const replay = [await resumed.nextData(), await resumed.nextData()];
  assert.deepEqual(replay.map((m) => [m.sequenceId, dataOf(m).value]), [[3n, 'm3'], [4n, 'm4']]);
  assert.equal(resumed.messages.some((m) => m.message.case === 'systemMessage'), false); // no second connected
  // Acks survive the resume: the same ackId is a Duplicate.
  assert.equal(await ackError(resumed.joinGroup('other', 1)), 'Duplicate');
  resumed.ws.close(1000);
  await resumed.closed;
  await until(async () => !(await sc.connectionExists(connectionId)));
});
