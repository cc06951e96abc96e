/**
 * fast-check over the protobuf subprotocols' decoder: well-formed messages with hostile field
 * values, the same bytes cut and bit-flipped, deep group nesting, and plain garbage. Property: the
 * decoder always returns a request (never throws), and over a socket every input gets an answer
 * or a close of that one peer while the process keeps serving. Bounded runs; a failure prints its seed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { create, toBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { WebSocket } from 'ws';
import { start, type Harness } from '../dataplane/helpers.ts';
import { decodeUpstream } from '../../src/protocols/webpubsub/protobuf/decode.ts';
import { UpstreamMessageSchema } from '../../src/protocols/webpubsub/protobuf/gen/webpubsub.client_pb.ts';
import { protobufClient, PROTOBUF, PROTOBUF_RELIABLE, dataOf } from '../helpers/protobuf-client.ts';
import type { ProtobufClient } from '../helpers/protobuf-client.ts';

const uncaught: Error[] = [];
process.on('uncaughtExceptionMonitor', (err) => uncaught.push(err));
process.on('unhandledRejection', (err) => uncaught.push(err as Error));

type Init = MessageInitShape<typeof UpstreamMessageSchema>;

const sometimes = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ arbitrary: usual, weight: 5 }, { arbitrary: odd, weight: 1 });
const group = sometimes(fc.constantFrom('g1', 'g2'), fc.oneof(fc.string({ maxLength: 1100 }), fc.constant('   '), fc.constant('')));
const ackId = fc.option(sometimes(fc.bigInt({ min: 0n, max: 50n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), { nil: undefined });
const data = fc.option(fc.oneof(
  fc.string().map((value) => ({ data: { case: 'textData' as const, value } })),
  fc.uint8Array({ maxLength: 64 }).map((value) => ({ data: { case: 'binaryData' as const, value } })),
  fc.oneof(fc.json(), fc.string()).map((value) => ({ data: { case: 'jsonData' as const, value } })),
  fc.record({ typeUrl: fc.string(), value: fc.uint8Array({ maxLength: 64 }) })
    .map((value) => ({ data: { case: 'protobufData' as const, value } })),
  fc.constant({}),
), { nil: undefined });
const metadata = fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 });
const stream = fc.option(fc.record({ streamId: fc.string() }), { nil: undefined });

const upstream: fc.Arbitrary<Init> = fc.oneof(
  fc.record({ group, ackId, data, noEcho: fc.option(fc.boolean(), { nil: undefined }), ttlSeconds: fc.option(fc.nat(), { nil: undefined }), metadata, stream })
    .map((value) => ({ message: { case: 'sendToGroupMessage' as const, value } })),
  fc.record({ event: sometimes(fc.constantFrom('message', 'evt'), fc.string()), ackId, data, metadata, stream })
    .map((value) => ({ message: { case: 'eventMessage' as const, value } })),
  fc.record({ group, ackId }).map((value) => ({ message: { case: 'joinGroupMessage' as const, value } })),
  fc.record({ group, ackId }).map((value) => ({ message: { case: 'leaveGroupMessage' as const, value } })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((sequenceId) => ({ message: { case: 'sequenceAckMessage' as const, value: { sequenceId } } })),
  fc.constant({ message: { case: 'pingMessage' as const, value: {} } }),
  fc.record({ event: fc.string(), invocationId: fc.string(), data }).map((value) => ({ message: { case: 'invokeEventMessage' as const, value } })),
  fc.string().map((invocationId) => ({ message: { case: 'cancelInvocationMessage' as const, value: { invocationId } } })),
  fc.string().map((streamId) => ({ message: { case: 'streamDataMessage' as const, value: { streamId } } })),
  fc.string().map((streamId) => ({ message: { case: 'streamEndMessage' as const, value: { streamId } } })),
  fc.record({ group, ackId }).map((value) => ({ message: { case: 'setGroupStateMessage' as const, value } })),
  fc.record({ group, ackId }).map((value) => ({ message: { case: 'subscribeGroupStateMessage' as const, value } })),
  fc.constant({}),
);

const encoded = upstream.map((m) => toBinary(UpstreamMessageSchema, create(UpstreamMessageSchema, m)));

/** The same bytes damaged: cut short, a byte changed, or a run of garbage spliced in. */
const damaged = fc.tuple(encoded, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 16 }), fc.constantFrom('cut', 'flip', 'splice'))
  .map(([bytes, at, value, junk, how]) => {
    const i = bytes.length === 0 ? 0 : at % bytes.length;
    if (how === 'cut') return bytes.subarray(0, i);
    if (how === 'flip') {
      const copy = Uint8Array.from(bytes);
      if (copy.length > 0) copy[i] = value;
      return copy;
    }
    return Uint8Array.from([...bytes.subarray(0, i), ...junk, ...bytes.subarray(i)]);
  });

/** Unknown fields opening groups (wire type 3) nested deeper than any stack should follow. */
const deepGroups = fc.integer({ min: 1, max: 200_000 }).map((depth) => {
  const out = new Uint8Array(depth * 2);
  for (let i = 0; i < depth; i++) out.set([0xa3, 0x01], i * 2); // field 20, start group
  return out;
});

const clientFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: encoded },
  { weight: 3, arbitrary: damaged },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  { weight: 1, arbitrary: deepGroups },
);

test('fuzz: the protobuf decoder returns a request for any bytes and never throws', () => {
  fc.assert(fc.property(clientFrame, (bytes) => {
    const r = decodeUpstream(Buffer.from(bytes));
    assert.equal(typeof r.type, 'string');
    if (r.type === 'violation') assert.equal(r.code, 1007);
  }), { numRuns: 3000 });
});

let h: Harness;
let witness: ProtobufClient;

before(async () => {
  h = await start({ limits: { maxConnections: 1000 } });
  witness = await protobufClient((await h.client('hub').getClientAccessToken({ userId: 'witness' })).url);
  await witness.connected;
});
after(async () => {
  witness?.ws.terminate();
  await h?.close();
});

const PING = toBinary(UpstreamMessageSchema, create(UpstreamMessageSchema, { message: { case: 'pingMessage', value: {} } }));

for (const reliable of [false, true]) {
  test(`fuzz: ${reliable ? PROTOBUF_RELIABLE : PROTOBUF} peers get an answer or a close, never more`, async () => {
    const url = (await h.client('hub').getClientAccessToken({ userId: 'fuzz', roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'] })).url;
    let peer: ProtobufClient | undefined;
    let closed = true;
    await fc.assert(fc.asyncProperty(fc.array(clientFrame, { minLength: 1, maxLength: 4 }), async (frames) => {
      if (closed) {
        peer?.ws.terminate();
        peer = await protobufClient(url, { reliable });
        closed = false;
        void peer.closed.then(() => { closed = true; });
        await peer.connected;
      }
      for (const f of frames) if (peer!.ws.readyState === WebSocket.OPEN) peer!.ws.send(f);
      if (peer!.ws.readyState === WebSocket.OPEN) peer!.ws.send(PING);
      const outcome = await Promise.race([
        peer!.next((m) => m.message.case === 'pongMessage', 3000).then(() => 'pong', () => 'silent'),
        peer!.closed.then(() => 'closed'),
      ]);
      assert.notEqual(outcome, 'silent', `no answer and no close for ${frames.map((f) => Buffer.from(f).toString('hex').slice(0, 80)).join(' ')}`);
      assert.deepEqual(peer!.rejects, [], 'every service frame decodes as a DownstreamMessage');
      assert.deepEqual(uncaught.map((e) => String(e)), []);
    }), { numRuns: 150 });
    peer?.ws.terminate();
    const health = await fetch(`${h.endpoint}/api/health`);
    assert.equal(health.status, 200);
    const marker = `alive-${Math.random()}`;
    await h.client('hub').sendToAll(marker, { contentType: 'text/plain' });
    await witness.nextData((m) => dataOf(m).value === marker);
  });
}
