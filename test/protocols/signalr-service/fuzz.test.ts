/**
 * fast-check fuzzing of the decoder: any bytes, cut into any chunks, give messages and at most one
 * typed error (never a throw), the partial buffer stays within its bounds, and whatever decodes
 * re-encodes to something that decodes the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ServiceMessageReader,
  ServiceProtocolError,
  decodeServiceMessageBody,
  encodeServiceMessage,
  encodeServiceMessageBody,
  encodeServiceMessages,
  frame,
} from '../../../src/protocols/signalr-service/index.ts';
import type { ServiceMessage } from '../../../src/protocols/signalr-service/index.ts';
import { SAMPLES, messageArb } from './samples.ts';
import { messageLikeBody } from './bodies.ts';

const MAX = 512;
const plain = <T>(v: T): T => structuredClone(v);

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function chunks(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) { out.push(bytes.slice(last, p)); last = p; }
  out.push(bytes.slice(last));
  return out;
}

/** Feeds chunks and checks the reader's invariants; returns the messages and the error, if any. */
function feed(parts: Uint8Array[], max = MAX): { messages: ServiceMessage[]; error?: ServiceProtocolError } {
  const r = new ServiceMessageReader({ maxMessageBytes: max });
  const messages: ServiceMessage[] = [];
  let error: ServiceProtocolError | undefined;
  for (const part of parts) {
    let out;
    try {
      out = r.push(part);
    } catch (e) {
      assert.fail(`push threw: ${String(e)}`);
    }
    if (error) {
      assert.equal(out.error?.code, 'ReaderFailed');
      assert.equal(out.messages.length, 0);
      continue;
    }
    messages.push(...out.messages);
    error = out.error;
    assert.ok(r.pendingBytes <= max + 5, 'partial message within the limit');
    assert.ok(r.reservedBytes <= Math.max(2 * r.pendingBytes, 4096) && r.reservedBytes <= max + 5, 'buffer grows with the data');
  }
  return error ? { messages, error } : { messages };
}

/** Message-shaped bodies with any extension member number and integers of every width. */
const messageLike = messageLikeBody({ intKeys: fc.integer({ min: 0, max: 8 }), integers: fc.integer({ min: -70000, max: 5_000_000_000 }) });

function checkDecoded(result: ReturnType<typeof decodeServiceMessageBody>): void {
  if (result === null || result instanceof ServiceProtocolError) return;
  // Whatever decoded must re-encode to bytes that decode to the same message.
  const again = decodeServiceMessageBody(encodeServiceMessageBody(result));
  assert.deepEqual(plain(again), plain(result));
}

test('property: arbitrary bytes in arbitrary chunks give messages or one typed error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
      const { messages, error } = feed(chunks(bytes, cuts));
      if (error) assert.ok(error instanceof ServiceProtocolError);
      for (const m of messages) assert.equal(typeof m.kind, 'string');
    }),
    { numRuns: 2000 },
  );
});

test('property: message-shaped bodies (known types, random fields) never throw; decoded ones re-encode stably', () => {
  fc.assert(
    fc.property(messageLike, (body) => {
      const result = decodeServiceMessageBody(body);
      assert.ok(result === null || result instanceof ServiceProtocolError || typeof result.kind === 'string');
      checkDecoded(result);
    }),
    { numRuns: 3000 },
  );
});

test('property: valid streams with a few bytes mutated still give messages or one typed error', () => {
  fc.assert(
    fc.property(
      fc.array(messageArb, { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 4 }),
      (messages, mutations, cuts) => {
        const bytes = [...encodeServiceMessages(messages)];
        for (const [at, value, op] of mutations) {
          const i = at % (bytes.length + 1);
          if (op === 'set' && i < bytes.length) bytes[i] = value;
          else if (op === 'insert') bytes.splice(i, 0, value);
          else bytes.splice(i, 1);
        }
        const { messages: got } = feed(chunks(Uint8Array.from(bytes), cuts), 1 << 20);
        for (const m of got) checkDecoded(m);
      },
    ),
    { numRuns: 1500 },
  );
});

test('property: valid streams cut anywhere decode exactly as in one piece', () => {
  fc.assert(
    fc.property(fc.array(messageArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (messages, cuts) => {
      const bytes = encodeServiceMessages(messages);
      const { messages: got, error } = feed(chunks(bytes, cuts), 1 << 20);
      assert.equal(error, undefined);
      assert.deepEqual(plain(got), plain(messages));
    }),
    { numRuns: 500 },
  );
});

test('lying length headers inside a small body allocate nothing large', () => {
  // array32 / map32 / str32 / bin32 headers announcing 4 GB inside a 16-byte body.
  for (const header of [[0xdd], [0xdf], [0xdb], [0xc6]]) {
    const body = Uint8Array.from([0x94, 0x06, ...header, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0]);
    const result = decodeServiceMessageBody(body);
    assert.ok(result instanceof ServiceProtocolError, JSON.stringify(header));
  }
  // A stream announcing the maximum size and sending a few bytes holds only what arrived.
  const r = new ServiceMessageReader({ maxMessageBytes: 1 << 20 });
  const announced = frame(new Uint8Array(1 << 20)).subarray(0, 10);
  assert.equal(r.push(announced).error, undefined);
  assert.equal(r.pendingBytes, 10);
  assert.ok(r.reservedBytes <= 4096);
  assert.deepEqual(plain(r.push(encodeServiceMessage(SAMPLES.Ping.message)).messages), []);
});
