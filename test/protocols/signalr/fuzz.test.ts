/**
 * Fuzzing the decoders: any bytes, in any chunking, give messages or one typed error; nothing
 * throws and the reader never holds more than one message's worth of bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeJsonMessage,
  decodeMsgpackMessage,
  encodeJsonMessage,
  encodeMsgpackMessage,
  HubMessageReader,
  HubProtocolError,
} from '../../../src/protocols/signalr/index.ts';
import type { HubProtocolName } from '../../../src/protocols/signalr/index.ts';
import { hubMessage, jsonArg, msgpackArg } from './codecs.ts';

const MAX = 512;

function readAll(protocol: HubProtocolName, chunks: Array<Uint8Array | string>): void {
  const reader = new HubMessageReader(protocol, { maxMessageBytes: MAX });
  let failed: HubProtocolError | undefined;
  for (const c of chunks) {
    const r = reader.push(typeof c === 'string' ? c : Buffer.from(c));
    assert.ok(Array.isArray(r.frames));
    for (const f of r.frames) assert.ok(f.body.length <= MAX);
    if (r.error) {
      assert.ok(r.error instanceof HubProtocolError);
      if (failed) assert.equal(r.error, failed);
      failed = r.error;
    } else {
      assert.equal(failed, undefined);
    }
    assert.ok(reader.pendingBytes <= MAX, `pending ${reader.pendingBytes}`);
  }
}

const chunkArb = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 }));

/** Valid encodings with random byte edits: reaches the shape checks, not just the parsers. */
function mutated(protocol: HubProtocolName): fc.Arbitrary<Uint8Array> {
  const messages = fc.array(hubMessage(protocol === 'json' ? jsonArg : msgpackArg), { minLength: 1, maxLength: 4 });
  return fc
    .tuple(messages, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }))
    .map(([ms, edits]) => {
      const bytes = Buffer.concat(ms.map(protocol === 'json' ? encodeJsonMessage : encodeMsgpackMessage));
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      return bytes;
    });
}

for (const protocol of ['json', 'messagepack'] as const) {
  test(`${protocol}: any chunks of any bytes → messages or one typed error`, () => {
    fc.assert(fc.property(fc.array(chunkArb, { maxLength: 8 }), (chunks) => readAll(protocol, chunks)), { numRuns: 3000 });
  });

  test(`${protocol}: mutated valid messages, split anywhere → messages or one typed error`, () => {
    fc.assert(
      fc.property(mutated(protocol), fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(at, p));
          at = p;
        }
        readAll(protocol, chunks);
      }),
      { numRuns: 3000 },
    );
  });
}

test('single-message decoders return a message, null or a typed error for any body', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (body) => {
      for (const r of [decodeJsonMessage(body), decodeMsgpackMessage(body)]) {
        assert.ok(r === null || r instanceof HubProtocolError || (typeof r === 'object' && typeof r.type === 'number'));
      }
    }),
    { numRuns: 5000 },
  );
});

test('hostile nesting is refused or decoded without overflowing the stack', () => {
  const depth = 200_000;
  const jsonBomb = Buffer.from(`{"type":1,"target":"t","arguments":${'['.repeat(depth)}${']'.repeat(depth)}}\u001e`);
  const r1 = new HubMessageReader('json', { maxMessageBytes: jsonBomb.length }).push(jsonBomb);
  assert.ok(r1.error === undefined || r1.error instanceof HubProtocolError);
  const body = Buffer.concat([Buffer.from([0x95, 0x01, 0x80, 0xc0, 0xa1, 0x74]), Buffer.alloc(depth, 0x91), Buffer.from([0x90])]);
  const r2 = decodeMsgpackMessage(body);
  assert.ok(r2 === null || r2 instanceof HubProtocolError || r2.type === 1);
});
