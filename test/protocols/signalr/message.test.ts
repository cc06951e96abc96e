/**
 * Encode-once server messages and REST payload parsing: one encoding per protocol, shared by every
 * recipient, readable by the official clients; JSON arguments converted to MessagePack values once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import {
  closeMessage,
  encodeMsgpackMessage,
  MAX_ARGUMENT_DEPTH,
  parseBinaryPayload,
  parsePayloadMessage,
  PING,
  SignalRMessage,
  encodeJsonMessage,
} from '../../../src/protocols/signalr/index.ts';
import type { HubProtocolName } from '../../../src/protocols/signalr/index.ts';
import { canon, jsonArg, officialDecode } from './codecs.ts';

test('a broadcast is encoded at most once per protocol and every recipient gets the same bytes', () => {
  const message = SignalRMessage.invocation('newMessage', ['hi', { n: 1 }]);
  assert.equal(message.isEncoded('json'), false);
  assert.equal(message.isEncoded('messagepack'), false);
  const recipients = Array.from({ length: 1000 }, (_, i): HubProtocolName => (i % 3 === 0 ? 'messagepack' : 'json'));
  const sent = recipients.map((p) => message.encoded(p));
  const json = sent.filter((_, i) => recipients[i] === 'json');
  const msgpack = sent.filter((_, i) => recipients[i] === 'messagepack');
  assert.ok(json.every((b) => b === json[0]), 'one JSON buffer shared');
  assert.ok(msgpack.every((b) => b === msgpack[0]), 'one MessagePack buffer shared');
  assert.notEqual(json[0], msgpack[0]);
});

test('an encoding is made only when a recipient of that protocol exists', () => {
  const message = SignalRMessage.invocation('t', [1]);
  message.encoded('json');
  assert.equal(message.isEncoded('json'), true);
  assert.equal(message.isEncoded('messagepack'), false);
});

test('the official clients read the shared encodings as a fire-and-forget Invocation, for any JSON arguments', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), fc.array(jsonArg, { maxLength: 5 }), (target, args) => {
      const message = SignalRMessage.invocation(target, args);
      // Lapis encodes a `__proto__` key faithfully; the official MessagePack client's decoder drops it.
      const protos = JSON.stringify(args).includes('"__proto__"');
      for (const protocol of protos ? (['json'] as const) : (['json', 'messagepack'] as const)) {
        const bytes = message.encoded(protocol)!;
        const [parsed, ...more] = officialDecode(protocol, bytes);
        assert.equal(more.length, 0);
        assert.deepStrictEqual(canon(parsed), { type: 1, target, arguments: args });
      }
      // Byte-identical to the generic per-connection encoders.
      assert.deepStrictEqual(message.encoded('json'), encodeJsonMessage({ type: 1, target, arguments: args }));
      assert.deepStrictEqual(message.encoded('messagepack'), encodeMsgpackMessage({ type: 1, target, arguments: args }));
    }),
    { numRuns: 300 },
  );
});

test('JSON numbers become MessagePack integers or doubles as their values require', () => {
  const parsed = parsePayloadMessage(Buffer.from('{"target":"t","arguments":[1, 1.5, -7, 1e300, 4294967296]}'));
  assert.ok(parsed.ok);
  const bytes = parsed.message.encoded('messagepack')!;
  assert.deepStrictEqual(bytes.subarray(1), Buffer.from(encode([1, {}, null, 't', [1, 1.5, -7, 1e300, 4294967296]])));
  // The arguments array: fixarray(5), positive fixint 1, float64 1.5, negative fixint -7, float64, uint64.
  const args = bytes.subarray(bytes.indexOf(0x95, 4));
  assert.deepStrictEqual([...args.subarray(0, 3)], [0x95, 0x01, 0xcb]);
  assert.equal(args[11], 0xf9);
  assert.equal(args[12], 0xcb);
  assert.equal(args[21], 0xcf);
});

test('REST JSON bodies: case-insensitive names (the .NET SDK writes Target/Arguments), validation', () => {
  const pascal = parsePayloadMessage(Buffer.from('{"Target":"hello","Arguments":["a",2]}'));
  assert.ok(pascal.ok);
  assert.equal(pascal.message.target, 'hello');
  assert.deepStrictEqual(pascal.message.arguments, ['a', 2]);
  const noArgs = parsePayloadMessage(Buffer.from('{"target":"t"}'));
  assert.ok(noArgs.ok);
  assert.deepStrictEqual(noArgs.message.arguments, []);
  assert.equal(parsePayloadMessage(Buffer.from('nope')).ok, false);
  assert.equal(parsePayloadMessage(Buffer.from('[]')).ok, false);
  assert.equal(parsePayloadMessage(Buffer.from('{"arguments":[]}')).ok, false);
  assert.equal(parsePayloadMessage(Buffer.from('{"target":"","arguments":[]}')).ok, false);
  assert.equal(parsePayloadMessage(Buffer.from('{"target":"t","arguments":{}}')).ok, false);
  const deep = (n: number) => `{"target":"t","arguments":${'['.repeat(n)}${']'.repeat(n)}}`;
  assert.equal(parsePayloadMessage(Buffer.from(deep(MAX_ARGUMENT_DEPTH))).ok, true);
  assert.equal(parsePayloadMessage(Buffer.from(deep(MAX_ARGUMENT_DEPTH + 1))).ok, false);
  assert.equal(parsePayloadMessage(Buffer.from(deep(100_000))).ok, false);
});

test('arguments at the maximum depth still encode in both protocols', () => {
  const deep = (n: number) => `{"target":"t","arguments":${'['.repeat(n)}${']'.repeat(n)}}`;
  const r = parsePayloadMessage(Buffer.from(deep(MAX_ARGUMENT_DEPTH)));
  assert.ok(r.ok);
  assert.equal(officialDecode('json', r.message.encoded('json')!).length, 1);
  assert.equal(officialDecode('messagepack', r.message.encoded('messagepack')!).length, 1);
});

test('binary REST payloads (protocol → framed bytes) are forwarded verbatim', () => {
  const json = encodeJsonMessage({ type: 1, target: 't', arguments: [1] });
  const mp = encodeMsgpackMessage({ type: 1, target: 't', arguments: [1] });
  const r = parseBinaryPayload(Buffer.from(encode({ json, messagepack: mp })));
  assert.ok(r.ok);
  assert.deepStrictEqual(r.message.encoded('json'), json);
  assert.deepStrictEqual(r.message.encoded('messagepack'), mp);
  const onlyJson = parseBinaryPayload(Buffer.from(encode({ json })));
  assert.ok(onlyJson.ok);
  assert.equal(onlyJson.message.encoded('messagepack'), undefined);
  assert.equal(parseBinaryPayload(Buffer.from(encode({ json: 'text' }))).ok, false);
  assert.equal(parseBinaryPayload(Buffer.from(encode({ other: json }))).ok, false);
  assert.equal(parseBinaryPayload(Buffer.from([0xc1])).ok, false);
});

test('Ping and Close bytes are what the official clients expect', () => {
  assert.deepStrictEqual(officialDecode('json', PING.json), [{ type: 6 }]);
  assert.deepStrictEqual(canon(officialDecode('messagepack', PING.messagepack)[0]), { type: 6 });
  for (const protocol of ['json', 'messagepack'] as const) {
    assert.deepStrictEqual(canon(officialDecode(protocol, closeMessage(protocol, 'Connection closed by REST', true))[0]), {
      type: 7,
      error: 'Connection closed by REST',
      allowReconnect: true,
    });
    assert.deepStrictEqual(canon(officialDecode(protocol, closeMessage(protocol))[0]), { type: 7 });
  }
});
