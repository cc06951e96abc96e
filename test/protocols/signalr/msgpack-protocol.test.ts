/**
 * MessagePack hub protocol: Lapis's decoder against the official client's encoder and vice versa,
 * VarInt framing across arbitrary chunk boundaries, and the typed errors for malformed input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import type { HubMessage as OfficialMessage } from '@microsoft/signalr';
import { encodeMsgpackMessage, HubMessageReader, HubProtocolError, PING } from '../../../src/protocols/signalr/index.ts';
import type { HubMessage } from '../../../src/protocols/signalr/index.ts';
import { canon, hubMessage, msgpackArg, officialDecode, officialEncode, toOfficial } from './codecs.ts';

function decodeAll(buf: Buffer, chunks: number[] = []): HubMessage[] {
  const reader = new HubMessageReader('messagepack', { statefulReconnect: true });
  const out: HubMessage[] = [];
  let at = 0;
  for (const end of [...chunks, buf.length]) {
    const r = reader.push(buf.subarray(at, end));
    assert.equal(r.error, undefined, r.error?.toString());
    out.push(...r.frames.map((f) => f.message));
    at = end;
  }
  assert.equal(reader.pendingBytes, 0);
  return out;
}

/** The official msgpack client always writes Close as `[7, nil]`, whatever the message holds. */
function asOfficialWrites(m: HubMessage): HubMessage {
  return m.type === 7 ? { type: 7 } : m;
}

test('every message type the official MessagePack client encodes decodes to the same message', () => {
  fc.assert(
    fc.property(hubMessage(msgpackArg), (m) => {
      const bytes = officialEncode('messagepack', toOfficial(m) as unknown as OfficialMessage);
      const [decoded, ...more] = decodeAll(bytes);
      assert.equal(more.length, 0);
      assert.deepStrictEqual(canon(toOfficial(decoded!)), canon(toOfficial(asOfficialWrites(m))));
    }),
    { numRuns: 400 },
  );
});

test('every server→client message Lapis encodes is read back by the official MessagePack client', () => {
  fc.assert(
    fc.property(hubMessage(msgpackArg, [1, 2, 3, 6, 7, 8, 9]), (m) => {
      const bytes = encodeMsgpackMessage(m);
      const parsed = officialDecode('messagepack', bytes);
      assert.equal(parsed.length, 1);
      // The official client never reads streamIds of a server Invocation (servers do not send them).
      const expected = m.type === 1 ? { ...m, streamIds: undefined } : m;
      assert.deepStrictEqual(canon(parsed[0]), canon(toOfficial(expected)));
      assert.deepStrictEqual(canon(toOfficial(decodeAll(bytes)[0]!)), canon(toOfficial(m)));
    }),
    { numRuns: 400 },
  );
});

test('Lapis encodes and decodes StreamInvocation and CancelInvocation symmetrically', () => {
  fc.assert(
    fc.property(hubMessage(msgpackArg, [4, 5]), (m) => {
      assert.deepStrictEqual(canon(toOfficial(decodeAll(encodeMsgpackMessage(m))[0]!)), canon(toOfficial(m)));
    }),
  );
});

test('wire shapes the clients depend on: Ping is 91 06, Close has three elements, Invocation five', () => {
  assert.deepStrictEqual([...PING.messagepack], [0x02, 0x91, 0x06]);
  assert.deepStrictEqual([...encodeMsgpackMessage({ type: 6 })], [0x02, 0x91, 0x06]);
  const close = encodeMsgpackMessage({ type: 7, error: 'bye', allowReconnect: true });
  assert.deepStrictEqual(close.subarray(1), Buffer.from(encode([7, 'bye', true])));
  const inv = encodeMsgpackMessage({ type: 1, target: 't', arguments: [1] });
  assert.deepStrictEqual(inv.subarray(1), Buffer.from(encode([1, {}, null, 't', [1]])));
  const official = officialDecode('messagepack', close)[0] as unknown as Record<string, unknown>;
  assert.equal(official['error'], 'bye');
  assert.equal(official['allowReconnect'], true);
});

test('a batch split at every byte offset yields the same messages, including multi-byte length prefixes', () => {
  const messages: HubMessage[] = [
    { type: 1, invocationId: '1', target: 'send', arguments: ['x'.repeat(300), new Uint8Array([1, 2, 3])] },
    { type: 6 },
    { type: 3, invocationId: '1', resultKind: 'result', result: { big: 'é'.repeat(20_000) } },
    { type: 7 },
  ];
  const batch = Buffer.concat(messages.map(encodeMsgpackMessage));
  const expected = decodeAll(batch);
  assert.equal(expected.length, 4);
  for (let i = 0; i <= batch.length; i += i < 400 || i > batch.length - 400 ? 1 : 97) {
    assert.deepStrictEqual(decodeAll(batch, [i]), expected);
  }
  // One byte at a time is linear: the body buffer is allocated once its length is known.
  assert.deepStrictEqual(decodeAll(batch, Array.from({ length: batch.length }, (_, i) => i)), expected);
});

test('random chunkings of random batches decode to the same messages', () => {
  fc.assert(
    fc.property(fc.array(hubMessage(msgpackArg), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (ms, cuts) => {
      const batch = Buffer.concat(ms.map((m) => officialEncode('messagepack', toOfficial(m) as unknown as OfficialMessage)));
      const points = [...new Set(cuts.map((c) => c % (batch.length + 1)))].sort((a, b) => a - b);
      const got = decodeAll(batch, points).map((m) => canon(toOfficial(m)));
      assert.deepStrictEqual(got, ms.map((m) => canon(toOfficial(asOfficialWrites(m)))));
    }),
    { numRuns: 300 },
  );
});

test('the frame body is the MessagePack array without its length prefix (what upstream forwards)', () => {
  const bytes = encodeMsgpackMessage({ type: 1, invocationId: '0', target: 'echo', arguments: ['x'] });
  const r = new HubMessageReader('messagepack').push(bytes);
  assert.deepStrictEqual(r.frames[0]!.body, bytes.subarray(1));
});

function framed(value: unknown): Buffer {
  const body = Buffer.from(encode(value));
  return Buffer.concat([Buffer.from([body.length]), body]);
}

function errorOf(input: Buffer | string, options = {}): HubProtocolError {
  const r = new HubMessageReader('messagepack', options).push(input);
  assert.ok(r.error instanceof HubProtocolError, `expected an error for ${String(input)}`);
  return r.error;
}

test('malformed messages yield typed errors, never throws', () => {
  assert.equal(errorOf(Buffer.from([0x00])).code, 'InvalidMessage'); // empty body
  assert.equal(errorOf(Buffer.from([0x01, 0xc1])).code, 'InvalidEncoding'); // 0xc1 is never used
  assert.equal(errorOf(Buffer.from([0x02, 0x92, 0x01])).code, 'InvalidEncoding'); // truncated array
  assert.equal(errorOf(framed({ type: 1 })).code, 'InvalidMessage');
  assert.equal(errorOf(framed(['1'])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([1, {}, null, 'x'])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([1, {}, null, '', []])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([1, {}, 5, 'x', []])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([1, 'h', null, 'x', []])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([1, { a: 1 }, null, 'x', []])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([1, {}, null, 'x', 'args'])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([1, {}, null, 'x', [], [1]])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([3, {}, '1', 1])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([3, {}, '1', 4, 1])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([3, {}, '1', 1, 5])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([4, {}, null, 'x', []])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([5, {}])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([7])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([7, 1])).code, 'InvalidMessage');
  assert.equal(errorOf(framed([8, 1])).code, 'StatefulReconnectNotNegotiated');
  assert.equal(errorOf(framed([9, 1])).code, 'StatefulReconnectNotNegotiated');
  assert.equal(errorOf(framed([9, 'x']), { statefulReconnect: true }).code, 'InvalidMessage');
  assert.equal(errorOf(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08])).code, 'InvalidFraming');
  assert.equal(errorOf('{"type":6}\u001e').code, 'TextFrameOnBinaryProtocol');
  // [1, {"__proto__": "x"}, nil, "t", []]: the decoder refuses the key instead of touching prototypes.
  const proto = Buffer.concat([Buffer.from([0x95, 0x01, 0x81, 0xa9]), Buffer.from('__proto__'), Buffer.from([0xa1, 0x78, 0xc0, 0xa1, 0x74, 0x90])]);
  assert.equal(errorOf(Buffer.concat([Buffer.from([proto.length]), proto])).code, 'InvalidEncoding');
});

test('unknown message types are ignored; extra trailing elements are allowed', () => {
  const r = new HubMessageReader('messagepack').push(Buffer.concat([framed([42, 'future']), framed([6, 'extra']), framed([7, null, true, 'x'])]));
  assert.equal(r.error, undefined);
  assert.deepStrictEqual(r.frames.map((f) => f.message), [{ type: 6 }, { type: 7, error: undefined, allowReconnect: true }]);
});

test('a length prefix over the limit fails before the body arrives', () => {
  const reader = new HubMessageReader('messagepack', { maxMessageBytes: 1000 });
  const r = reader.push(Buffer.from([0xe9, 0x07])); // 1001
  assert.equal(r.error?.code, 'MessageTooLarge');
  assert.equal(reader.pendingBytes, 0);
  const ok = new HubMessageReader('messagepack', { maxMessageBytes: 1000 }).push(Buffer.from([0xe8, 0x07])); // 1000: waits for the body
  assert.equal(ok.error, undefined);
});

test('lying collection lengths inside a message are refused without allocating for them', () => {
  // An array header claiming 2^32-1 elements in a 6-byte body.
  const body = Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]);
  const r = new HubMessageReader('messagepack').push(Buffer.concat([Buffer.from([body.length]), body]));
  assert.equal(r.error?.code, 'InvalidEncoding');
});
