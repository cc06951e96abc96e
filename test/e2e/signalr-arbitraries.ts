/**
 * fast-check arbitraries for SignalR hub-protocol input: streams of JSON or MessagePack messages
 * (mostly what a real client sends, with near-misses and junk mixed in) cut into chunks anywhere.
 */
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { varintFrame } from './signalr-peer.ts';
import { RS } from './signalr-hostile.ts';

const sometimes = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: usual, weight: 5 }, { arbitrary: odd, weight: 1 });


const jsonValue = fc.jsonValue({ maxDepth: 3 });
const jsonMessage = fc.record({
  type: sometimes(fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 9, 42), fc.anything()),
  invocationId: fc.option(sometimes(fc.string({ maxLength: 10 }), fc.anything()), { nil: undefined }),
  target: sometimes(fc.constantFrom('send', 'echo', ''), fc.anything()),
  arguments: sometimes(fc.array(jsonValue, { maxLength: 3 }), fc.anything()),
  streamIds: fc.option(sometimes(fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }), fc.anything()), { nil: undefined }),
  item: fc.option(jsonValue, { nil: undefined }),
  result: fc.option(jsonValue, { nil: undefined }),
  error: fc.option(sometimes(fc.string(), fc.anything()), { nil: undefined }),
  headers: fc.option(sometimes(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })), fc.anything()), { nil: undefined }),
  allowReconnect: fc.option(fc.anything(), { nil: undefined }),
}, { requiredKeys: [] }).map((o) => `${JSON.stringify(o)}${RS}`);

/** Messages a real client sends, with random contents: most sequences keep the session alive. */
const validJson = fc.oneof(
  fc.record({ type: fc.constant(1), target: fc.string({ minLength: 1, maxLength: 8 }), arguments: fc.array(jsonValue, { maxLength: 3 }) }),
  fc.constant({ type: 6 }),
  fc.record({ type: fc.constant(2), invocationId: fc.string({ maxLength: 8 }), item: jsonValue }),
  fc.record({ type: fc.constant(3), invocationId: fc.string({ maxLength: 8 }), result: jsonValue }),
  fc.record({ type: fc.constant(5), invocationId: fc.string({ maxLength: 8 }) }),
).map((o) => `${JSON.stringify(o)}${RS}`);

/** A JSON-protocol stream: messages and near-misses, cut into frames anywhere; sometimes a binary frame. */
export const jsonFrames = fc.tuple(
  fc.array(fc.oneof(
    { weight: 8, arbitrary: validJson },
    { weight: 3, arbitrary: jsonMessage },
    { weight: 1, arbitrary: fc.json().map((j) => `${j}${RS}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
  ), { minLength: 1, maxLength: 5 }).map((parts) => parts.join('')),
  fc.array(fc.nat(), { maxLength: 3 }),
  fc.boolean(),
).map(([text, cuts, binary]) => split(Buffer.from(text), cuts).map((data) => ({ data, binary })));

const msgpackValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.uint8Array({ maxLength: 8 }));
const msgpackMessage = fc.tuple(fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 9, 42, -1, 'x', null), fc.array(msgpackValue, { maxLength: 6 }))
  .map(([type, rest]) => varintFrame(encode([type, ...rest])));
const validMsgpack = fc.oneof(
  fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.array(msgpackValue, { maxLength: 3 })).map(([t, a]) => [1, {}, null, t, a]),
  fc.constant([6]),
  fc.tuple(fc.string({ maxLength: 8 }), msgpackValue).map(([id, v]) => [2, {}, id, v]),
  fc.tuple(fc.string({ maxLength: 8 }), msgpackValue).map(([id, v]) => [3, {}, id, 3, v]),
  fc.string({ maxLength: 8 }).map((id) => [5, {}, id]),
).map((m) => varintFrame(encode(m)));
/** A MessagePack stream: hub arrays (mostly near-valid), framed junk, rarely unframed junk; cut anywhere; sometimes a text frame. */
export const msgpackFrames = fc.tuple(
  fc.array(fc.oneof(
    { weight: 8, arbitrary: validMsgpack },
    { weight: 3, arbitrary: msgpackMessage },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => varintFrame(b)) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Buffer.from(b)) },
  ), { minLength: 1, maxLength: 5 }).map((parts) => Buffer.concat(parts)),
  fc.array(fc.nat(), { maxLength: 3 }),
  fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
).map(([bytes, cuts, binary]) => split(bytes, cuts).map((data) => ({ data, binary })));

export function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].filter((c) => c > 0).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
}

export const isCompletionOf = (m: unknown, id: string) => (Array.isArray(m) ? m[0] === 3 && m[2] === id : (m as { type?: number }).type === 3 && (m as { invocationId?: string }).invocationId === id);
