/**
 * fast-check arbitraries for raw message bodies: a MessagePack array whose first element is a
 * message type (known or nearby) followed by random values, so decoders are exercised past the
 * type dispatch, deeper than random bytes reach.
 */
import fc from 'fast-check';
import { MsgpackWriter } from '../../../src/protocols/signalr-service/msgpack-writer.ts';

type Tree = number | string | null | boolean | Uint8Array | Tree[] | { map: [number | string, Tree][] };

export interface BodyOptions {
  /** Integer map keys to draw from (extension member numbers). */
  intKeys: fc.Arbitrary<number>;
  integers: fc.Arbitrary<number>;
  maxTypes?: number;
}

function tree(o: BodyOptions): fc.Arbitrary<Tree> {
  return fc.letrec<{ t: Tree }>((tie) => ({
    t: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      o.integers,
      fc.constantFrom(0, 1, 2, 3, 4),
      fc.string({ maxLength: 6 }),
      fc.constant(null),
      fc.boolean(),
      fc.uint8Array({ maxLength: 6 }),
      fc.array(tie('t'), { maxLength: 4 }),
      fc.record({ map: fc.array(fc.tuple(fc.oneof(o.intKeys, fc.string({ maxLength: 4 })), tie('t')), { maxLength: 3 }) }),
    ),
  })).t;
}

function write(w: MsgpackWriter, t: Tree): void {
  if (t === null) w.nil();
  else if (typeof t === 'number') w.integer(t);
  else if (typeof t === 'string') w.string(t);
  else if (typeof t === 'boolean') w.boolean(t);
  else if (t instanceof Uint8Array) w.bytesValue(t);
  else if (Array.isArray(t)) { w.arrayHeader(t.length); for (const x of t) write(w, x); }
  else { w.mapHeader(t.map.length); for (const [k, v] of t.map) { write(w, k); write(w, v); } }
}

export function messageLikeBody(o: BodyOptions): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.integer({ min: 0, max: o.maxTypes ?? 45 }), fc.array(tree(o), { maxLength: 8 })).map(([type, rest]) => {
    const w = new MsgpackWriter();
    w.arrayHeader(1 + rest.length);
    w.integer(type);
    for (const x of rest) write(w, x);
    return w.bytes().slice();
  });
}
