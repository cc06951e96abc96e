/**
 * Every message kind survives encode → frame → read, and its bytes have the SDK writer's layout
 * (checked with @msgpack/msgpack, an independent decoder); fast-check round trips for the kinds
 * with variable content.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decode } from '@msgpack/msgpack';
import {
  SERVICE_MESSAGE_TYPES,
  ServiceMessageReader,
  decodeServiceMessageBody,
  encodeServiceMessage,
  encodeServiceMessageBody,
  encodeServiceMessages,
} from '../../../src/protocols/signalr-service/index.ts';
import { SAMPLES, messageArb } from './samples.ts';

/** Maps/Uint8Arrays compare structurally once Buffers are plain Uint8Arrays. */
function plain<T>(v: T): T {
  return structuredClone(v);
}

test('the samples cover every message kind', () => {
  assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(SERVICE_MESSAGE_TYPES).sort());
});

// One test looping over the kinds (labels in the assertion messages): under `node --test
// --test-force-exit`, files reporting dozens of quick tests sometimes lost the tail of their report.
test('every kind encodes to the SDK layout and decodes back unchanged', () => {
  for (const [kind, sample] of Object.entries(SAMPLES)) {
    const body = encodeServiceMessageBody(sample.message);
    assert.deepEqual(decode(body, { useBigInt64: false }), sample.layout, `${kind} layout`);
    const decoded = decodeServiceMessageBody(body);
    assert.deepEqual(plain(decoded), plain(sample.message), `${kind} decode`);
    const out = new ServiceMessageReader().push(encodeServiceMessage(sample.message));
    assert.equal(out.error, undefined, `${kind} framed`);
    assert.deepEqual(plain(out.messages), [plain(sample.message)], `${kind} framed`);
  }
});

test('all kinds in one buffer come out in order', () => {
  const all = Object.values(SAMPLES).map((s) => s.message);
  const out = new ServiceMessageReader().push(encodeServiceMessages(all));
  assert.equal(out.error, undefined);
  assert.deepEqual(plain(out.messages), plain(all));
  assert.deepEqual(out.skippedTypes, []);
});

test('property: arbitrary messages round-trip through the stream reader', () => {
  fc.assert(
    fc.property(fc.array(messageArb, { minLength: 1, maxLength: 5 }), (messages) => {
      const out = new ServiceMessageReader().push(encodeServiceMessages(messages));
      assert.equal(out.error, undefined);
      assert.deepEqual(plain(out.messages), plain(messages));
    }),
    { numRuns: 300 },
  );
});

test('Ack: five elements without a payload; a sixth for a payload or an explicit nil', () => {
  const plainAck = { kind: 'Ack' as const, ackId: 1, status: 1, message: '', ext: {} };
  assert.deepEqual(decode(encodeServiceMessageBody(plainAck)), [20, 1, 1, '', {}]);
  assert.deepEqual(decodeServiceMessageBody(encodeServiceMessageBody(plainAck)), plainAck);
  const withPayload = { ...plainAck, payload: Uint8Array.from([1, 2]) };
  assert.deepEqual(decode(encodeServiceMessageBody(withPayload)), [20, 1, 1, '', {}, Uint8Array.from([1, 2])]);
  assert.deepEqual(plain(decodeServiceMessageBody(encodeServiceMessageBody(withPayload))), plain(withPayload));
  const nilPayload = { ...plainAck, payload: null };
  assert.deepEqual(decode(encodeServiceMessageBody(nilPayload)), [20, 1, 1, '', {}, null]);
  assert.deepEqual(decodeServiceMessageBody(encodeServiceMessageBody(nilPayload)), nilPayload);
});

test('HandshakeResponse without a connection id is the two-element form', () => {
  assert.deepEqual(decode(encodeServiceMessageBody({ kind: 'HandshakeResponse', errorMessage: '', ext: {} })), [2, '']);
});
