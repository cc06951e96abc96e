/**
 * JSON hub protocol: Lapis's decoder against the official client's encoder and vice versa, framing
 * across arbitrary chunk boundaries, and the typed errors for malformed input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { HubMessage as OfficialMessage } from '@microsoft/signalr';
import { encodeJsonMessage, HubMessageReader, HubProtocolError } from '../../../src/protocols/signalr/index.ts';
import type { HubMessage } from '../../../src/protocols/signalr/index.ts';
import { canon, hubMessage, jsonArg, officialDecode, officialEncode, toOfficial } from './codecs.ts';

function decodeAll(bytes: Buffer | string, chunks?: number[]): HubMessage[] {
  const reader = new HubMessageReader('json', { statefulReconnect: true });
  const out: HubMessage[] = [];
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  let at = 0;
  for (const end of [...(chunks ?? []), buf.length]) {
    const r = reader.push(buf.subarray(at, end));
    assert.equal(r.error, undefined, r.error?.toString());
    out.push(...r.frames.map((f) => f.message));
    at = end;
  }
  assert.equal(reader.pendingBytes, 0);
  return out;
}

test('every message type the official JSON client encodes decodes to the same message', () => {
  fc.assert(
    fc.property(hubMessage(jsonArg), (m) => {
      const bytes = officialEncode('json', toOfficial(m) as unknown as OfficialMessage);
      const [decoded, ...more] = decodeAll(bytes);
      assert.equal(more.length, 0);
      assert.deepStrictEqual(canon(toOfficial(decoded!)), canon(toOfficial(m)));
    }),
    { numRuns: 400 },
  );
});

test('every server→client message Lapis encodes is read back by the official JSON client', () => {
  fc.assert(
    fc.property(hubMessage(jsonArg, [1, 2, 3, 6, 7, 8, 9]), (m) => {
      const parsed = officialDecode('json', encodeJsonMessage(m));
      assert.equal(parsed.length, 1);
      assert.deepStrictEqual(canon(parsed[0]), canon(toOfficial(m)));
      // And Lapis's own decoder agrees with its encoder.
      assert.deepStrictEqual(canon(toOfficial(decodeAll(encodeJsonMessage(m))[0]!)), canon(toOfficial(m)));
    }),
    { numRuns: 400 },
  );
});

test('a batch split at every byte offset yields the same messages', () => {
  const messages: HubMessage[] = [
    { type: 1, invocationId: '1', target: 'send', arguments: ['héllo 🌍', 42, { a: [null, true] }] },
    { type: 6 },
    { type: 3, invocationId: '1', resultKind: 'result', result: { ok: '✓' } },
    { type: 7, error: 'bye' },
  ];
  const batch = Buffer.concat(messages.map(encodeJsonMessage));
  const expected = decodeAll(batch);
  assert.equal(expected.length, 4);
  for (let i = 0; i <= batch.length; i++) assert.deepStrictEqual(decodeAll(batch, [i]), expected);
});

test('random chunkings of random batches decode to the same messages', () => {
  fc.assert(
    fc.property(fc.array(hubMessage(jsonArg), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (ms, cuts) => {
      const batch = Buffer.concat(ms.map((m) => officialEncode('json', toOfficial(m) as unknown as OfficialMessage)));
      const points = [...new Set(cuts.map((c) => c % (batch.length + 1)))].sort((a, b) => a - b);
      assert.deepStrictEqual(decodeAll(batch, points).map((m) => canon(toOfficial(m))), ms.map((m) => canon(toOfficial(m))));
    }),
    { numRuns: 300 },
  );
});

test('the decoded frame body is the message without its record separator (what upstream forwards)', () => {
  const text = '{"type":1,"invocationId":"0","target":"echo","arguments":["x"]}';
  const r = new HubMessageReader('json').push(`${text}\u001e`);
  assert.equal(r.frames[0]!.body.toString('utf8'), text);
});

test('unknown message types and unknown properties are ignored', () => {
  const r = new HubMessageReader('json').push('{"type":99,"x":1}\u001e{"type":6,"extra":true}\u001e');
  assert.equal(r.error, undefined);
  assert.deepStrictEqual(r.frames.map((f) => f.message), [{ type: 6 }]);
});

function errorOf(input: Buffer | string, options = {}): HubProtocolError {
  const r = new HubMessageReader('json', options).push(input);
  assert.ok(r.error instanceof HubProtocolError, `expected an error for ${String(input)}`);
  return r.error;
}

test('malformed messages yield typed errors, never throws', () => {
  assert.equal(errorOf('not json\u001e').code, 'InvalidEncoding');
  assert.equal(errorOf(Buffer.from([0xff, 0xfe, 0x1e])).code, 'InvalidUtf8');
  assert.equal(errorOf('[1,2]\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"target":"x"}\u001e').detail, "Missing required property 'type'.");
  assert.equal(errorOf('{"type":"1"}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":1,"arguments":[]}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":1,"target":"","arguments":[]}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":1,"target":"x"}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":1,"target":"x","arguments":[],"invocationId":5}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":1,"target":"x","arguments":[],"headers":{"a":1}}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":2,"invocationId":"1"}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":3,"invocationId":"1","error":"e","result":1}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":3}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":5}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":7,"allowReconnect":"yes"}\u001e').code, 'InvalidMessage');
  assert.equal(errorOf('{"type":8,"sequenceId":1}\u001e').code, 'StatefulReconnectNotNegotiated');
  assert.equal(errorOf('{"type":9,"sequenceId":1}\u001e').code, 'StatefulReconnectNotNegotiated');
  assert.equal(errorOf('{"type":8,"sequenceId":-1}\u001e', { statefulReconnect: true }).code, 'InvalidMessage');
});

test('messages before the bad one are delivered, and the reader stays failed', () => {
  const reader = new HubMessageReader('json');
  const r = reader.push('{"type":6}\u001e{bad\u001e{"type":6}\u001e');
  assert.equal(r.frames.length, 1);
  assert.equal(r.error?.code, 'InvalidEncoding');
  assert.match(r.error!.closeReason(), /^Connection closed with an error\. InvalidDataException: /);
  const again = reader.push('{"type":6}\u001e');
  assert.equal(again.frames.length, 0);
  assert.equal(again.error, r.error);
});

test('a message larger than the limit fails as soon as the limit is passed, without buffering it', () => {
  const reader = new HubMessageReader('json', { maxMessageBytes: 100 });
  assert.equal(reader.push('{"type":1,"target":"x","arguments":["').error, undefined);
  const r = reader.push('a'.repeat(200));
  assert.equal(r.error?.code, 'MessageTooLarge');
  assert.equal(reader.pendingBytes, 0);
  // Exactly at the limit is fine.
  const body = `{"type":1,"target":"x","arguments":["${'b'.repeat(100 - 40)}"]}`;
  assert.equal(Buffer.byteLength(body), 100);
  assert.equal(new HubMessageReader('json', { maxMessageBytes: 100 }).push(`${body}\u001e`).frames.length, 1);
  assert.equal(new HubMessageReader('json', { maxMessageBytes: 99 }).push(`${body}\u001e`).error?.code, 'MessageTooLarge');
});

test('server Invocation omits invocationId and Close omits a false allowReconnect', () => {
  assert.equal(
    encodeJsonMessage({ type: 1, target: 'hi', arguments: [1] }).toString('utf8'),
    '{"type":1,"target":"hi","arguments":[1]}\u001e',
  );
  assert.equal(encodeJsonMessage({ type: 7 }).toString('utf8'), '{"type":7}\u001e');
  assert.equal(encodeJsonMessage({ type: 7, error: 'x', allowReconnect: true }).toString('utf8'), '{"type":7,"error":"x","allowReconnect":true}\u001e');
});

test('a large message fed one byte at a time is reassembled exactly', () => {
  const big = encodeJsonMessage({ type: 1, target: 't', arguments: ['ü'.repeat(50_000), { k: 'v' }] });
  const reader = new HubMessageReader('json');
  const frames = [];
  for (let i = 0; i < big.length; i++) {
    const r = reader.push(big.subarray(i, i + 1));
    assert.equal(r.error, undefined);
    frames.push(...r.frames);
    if (i < big.length - 1) assert.equal(reader.pendingBytes, i + 1);
  }
  assert.equal(frames.length, 1);
  assert.deepStrictEqual(frames[0]!.body, big.subarray(0, big.length - 1));
});
