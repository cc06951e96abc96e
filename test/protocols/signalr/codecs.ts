/**
 * Test helpers: the official client codecs, conversions between their message shape and Lapis's,
 * and fast-check arbitraries for hub messages.
 */
import fc from 'fast-check';
import { JsonHubProtocol, NullLogger } from '@microsoft/signalr';
import type { HubMessage as OfficialMessage } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import type { HubMessage, HubProtocolName } from '../../../src/protocols/signalr/index.ts';

export const officialJson = new JsonHubProtocol();
export const officialMsgpack = new MessagePackHubProtocol();
export const logger = NullLogger.instance;

/** Official encoding as a Buffer (JSON text is UTF-8). */
export function officialEncode(protocol: HubProtocolName, m: OfficialMessage): Buffer {
  if (protocol === 'json') return Buffer.from(officialJson.writeMessage(m) as string, 'utf8');
  return Buffer.from(officialMsgpack.writeMessage(m) as ArrayBuffer);
}

/** Official decoding of bytes Lapis produced. */
export function officialDecode(protocol: HubProtocolName, bytes: Buffer): OfficialMessage[] {
  if (protocol === 'json') return officialJson.parseMessages(bytes.toString('utf8'), logger);
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return officialMsgpack.parseMessages(copy, logger);
}

/** Lapis message → the official client's object shape. */
export function toOfficial(m: HubMessage): Record<string, unknown> {
  switch (m.type) {
    case 3: {
      const { resultKind, ...rest } = m as HubMessage & { resultKind: string };
      void resultKind;
      return { ...rest };
    }
    default:
      return { ...m };
  }
}

/**
 * Removes what the codecs legitimately differ on: undefined fields, empty headers / streamIds
 * (the msgpack client always adds them), null Close errors, false allowReconnect, and turns
 * Uint8Array subclasses into plain Uint8Array so deepStrictEqual compares content.
 */
export function canon(value: unknown): unknown {
  const o = Object.fromEntries(Object.entries(value as Record<string, unknown>));
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  if (o['headers'] && Object.keys(o['headers'] as object).length === 0) delete o['headers'];
  if (Array.isArray(o['streamIds']) && (o['streamIds'] as unknown[]).length === 0) delete o['streamIds'];
  if (o['type'] === 7 && o['error'] === null) delete o['error'];
  if (o['type'] === 7 && o['allowReconnect'] === false) delete o['allowReconnect'];
  return plain(o);
}

function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(plain);
  // fromEntries defines own properties, so a `__proto__` key stays a key instead of setting the prototype.
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const id = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 });
const key = text.filter((k) => k !== '__proto__');

/** JSON values with unicode strings (no -0: JSON cannot carry it). */
export const jsonArg: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' }).map((v) => JSON.parse(JSON.stringify(v)));

/** MessagePack adds binary; keys never `__proto__` (the decoder refuses it, as it should). */
export const msgpackArg: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)),
    text,
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

const headers = fc.option(fc.dictionary(key, text, { maxKeys: 3, noNullPrototype: true }), { nil: undefined });

/** Every message type, with the constraints both official codecs need (non-empty ids and errors). */
export function hubMessage(arg: fc.Arbitrary<unknown>, types: number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9]): fc.Arbitrary<HubMessage> {
  const all: Record<number, fc.Arbitrary<HubMessage>> = {
    1: fc.record({ headers, invocationId: fc.option(id, { nil: undefined }), target: id, arguments: fc.array(arg, { maxLength: 4 }), streamIds: fc.option(fc.array(id, { minLength: 1, maxLength: 2 }), { nil: undefined }) }).map((r) => ({ type: 1 as const, ...r })),
    2: fc.record({ headers, invocationId: id, item: arg }).map((r) => ({ type: 2 as const, ...r })),
    3: fc.oneof(
      fc.record({ headers, invocationId: id }).map((r) => ({ type: 3 as const, ...r, resultKind: 'void' as const })),
      fc.record({ headers, invocationId: id, result: arg }).map((r) => ({ type: 3 as const, ...r, resultKind: 'result' as const })),
      fc.record({ headers, invocationId: id, error: id }).map((r) => ({ type: 3 as const, ...r, resultKind: 'error' as const })),
    ),
    4: fc.record({ headers, invocationId: id, target: id, arguments: fc.array(arg, { maxLength: 4 }), streamIds: fc.option(fc.array(id, { minLength: 1, maxLength: 2 }), { nil: undefined }) }).map((r) => ({ type: 4 as const, ...r })),
    5: fc.record({ headers, invocationId: id }).map((r) => ({ type: 5 as const, ...r })),
    6: fc.constant({ type: 6 as const }),
    7: fc.record({ error: fc.option(id, { nil: undefined }), allowReconnect: fc.option(fc.boolean(), { nil: undefined }) }).map((r) => ({ type: 7 as const, ...r })),
    8: fc.nat().map((sequenceId) => ({ type: 8 as const, sequenceId })),
    9: fc.nat().map((sequenceId) => ({ type: 9 as const, sequenceId })),
  };
  return fc.oneof(...types.map((t) => all[t]!));
}
