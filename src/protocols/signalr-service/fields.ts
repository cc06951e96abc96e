/**
 * Readers and writers for the compound fields several messages share: string lists, the
 * protocol-keyed payload map, request headers and claims. Readers enforce what the SDK's reader
 * would throw on (nil claim parts, repeated header names) so that Lapis never accepts a message the
 * SDK itself could not have produced or read.
 */
import { MsgpackReadError } from './msgpack-reader.ts';
import type { MsgpackReader } from './msgpack-reader.ts';
import type { MsgpackWriter } from './msgpack-writer.ts';
import type { Claim, Headers, Payloads } from './types.ts';

/** A string array (nil is refused, as by the SDK's reader; it always writes an array). */
export function readStringList(r: MsgpackReader, field: string): string[] {
  const n = r.readArrayHeader(field);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = r.readStringNotNull(`${field}[${i}]`);
  return out;
}

export function writeStringList(w: MsgpackWriter, list: readonly string[] | null | undefined): void {
  const l = list ?? [];
  w.arrayHeader(l.length);
  for (const s of l) w.string(s);
}

/**
 * Payloads: map protocol name → bytes. A repeated name is kept as the SDK's reader keeps it (a list);
 * the Map holds the last value of an exactly repeated key, and payloadFor matches ignoring case.
 */
export function readPayloads(r: MsgpackReader, field = 'payloads'): Payloads {
  const n = r.readMapHeader(field);
  const out: Payloads = new Map();
  for (let i = 0; i < n; i++) {
    const key = r.readStringNotNull(`${field}[${i}].key`);
    out.set(key, r.readBytes(`${field}[${i}].value`) ?? new Uint8Array(0));
  }
  return out;
}

export function writePayloads(w: MsgpackWriter, payloads: Payloads | null | undefined): void {
  const p = payloads ?? new Map<string, Uint8Array>();
  w.mapHeader(p.size);
  for (const [key, value] of p) {
    w.string(key);
    w.bytesValue(value);
  }
}

/** The payload for a client's hub protocol, matched ignoring case as the SDK's dictionary does. */
export function payloadFor(payloads: Payloads, protocol: string): Uint8Array | undefined {
  const exact = payloads.get(protocol);
  if (exact !== undefined) return exact;
  const folded = protocol.toLowerCase();
  for (const [key, value] of payloads) if (key.toLowerCase() === folded) return value;
  return undefined;
}

/** Headers: map name → array of values. A repeated name (ignoring case) would make the SDK throw. */
export function readHeaders(r: MsgpackReader, field = 'headers'): Headers {
  const n = r.readMapHeader(field);
  const out: Headers = new Map();
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const name = r.readStringNotNull(`${field}[${i}].key`);
    const count = r.readArrayHeader(`${field}[${i}].value`);
    const values = new Array<string | null>(count);
    for (let j = 0; j < count; j++) values[j] = r.readString(`${field}[${i}].value[${j}]`);
    const folded = name.toLowerCase();
    if (seen.has(folded)) throw new MsgpackReadError('shape', `'${field}' repeats the header '${name.slice(0, 32)}'.`);
    seen.add(folded);
    out.set(name, values);
  }
  return out;
}

export function writeHeaders(w: MsgpackWriter, headers: Headers | null | undefined): void {
  const h = headers ?? new Map<string, (string | null)[]>();
  w.mapHeader(h.size);
  for (const [name, values] of h) {
    w.string(name);
    w.arrayHeader(values.length);
    for (const v of values) w.string(v);
  }
}

/** Claims: a map written entry by entry, so a claim type may repeat; order is kept. */
export function readClaims(r: MsgpackReader, field = 'claims'): Claim[] {
  const n = r.readMapHeader(field);
  const out = new Array<Claim>(n);
  for (let i = 0; i < n; i++) {
    // .NET's Claim constructor rejects null type or value.
    const type = r.readStringNotNull(`${field}[${i}].Type`);
    const value = r.readStringNotNull(`${field}[${i}].Value`);
    out[i] = { type, value };
  }
  return out;
}

export function writeClaims(w: MsgpackWriter, claims: readonly Claim[] | null | undefined): void {
  const c = claims ?? [];
  w.mapHeader(c.length);
  for (const claim of c) {
    w.string(claim.type);
    w.string(claim.value);
  }
}
