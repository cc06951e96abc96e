/**
 * The extension map that ends most service messages: MessagePack map of int key → value. The SDK
 * writes only the members that are set (an empty map otherwise) and skips keys it does not know,
 * so newer services and SDKs can add members; Lapis does the same.
 */
import { MsgpackReadError } from './msgpack-reader.ts';
import type { MsgpackReader } from './msgpack-reader.ts';
import type { MsgpackWriter } from './msgpack-writer.ts';
import type { ServiceExtensions } from './types.ts';

export const EXTENSION_KEYS = { tracingId: 1, ttl: 2, protocol: 3, filter: 4, dataMessageType: 5, isPartial: 6 } as const;

export function readExtensions(r: MsgpackReader): ServiceExtensions {
  const ext: ServiceExtensions = {};
  const count = r.readMapHeader('ext');
  for (let i = 0; i < count; i++) {
    const key = r.readInt32('ext key');
    // The SDK reads a member only on the message types that carry it; elsewhere 1.34 leaves the value
    // unread and misreads what follows. Lapis instead skips a member it cannot use (wrong type).
    switch (key) {
      case EXTENSION_KEYS.tracingId: if (r.nextIsInteger()) { const v = r.readInteger('ext.tracingId'); if (v >= 0n && v < 2n ** 64n) ext.tracingId = v; } else r.skip(); break;
      case EXTENSION_KEYS.ttl: if (r.nextIsInteger()) { const v = r.readInteger('ext.ttl'); if (v >= -(2n ** 31n) && v < 2n ** 31n) ext.ttl = Number(v); } else r.skip(); break;
      // A nil string member is the same as an absent one (the SDK only writes non-null ones).
      case EXTENSION_KEYS.protocol: if (r.nextIsStringOrNil()) { const v = r.readString('ext.protocol'); if (v !== null) ext.protocol = v; } else r.skip(); break;
      case EXTENSION_KEYS.filter: if (r.nextIsStringOrNil()) { const v = r.readString('ext.filter'); if (v !== null) ext.filter = v; } else r.skip(); break;
      case EXTENSION_KEYS.dataMessageType: if (r.nextIsInteger()) { const v = r.readInteger('ext.dataMessageType'); if (v >= -(2n ** 31n) && v < 2n ** 31n) ext.dataMessageType = Number(v); } else r.skip(); break;
      case EXTENSION_KEYS.isPartial: if (r.nextIsBoolean()) ext.isPartial = r.readBoolean('ext.isPartial'); else r.skip(); break;
      default:
        // 1.34 refuses arrays and maps as unknown members ("No complex data for extension members.").
        if (r.nextIsContainer()) throw new MsgpackReadError('shape', 'No complex data for extension members.');
        r.skip();
    }
  }
  return ext;
}

export function hasExtensions(ext: ServiceExtensions | undefined): boolean {
  return ext !== undefined && Object.values(ext).some((v) => v !== undefined);
}

export function writeExtensions(w: MsgpackWriter, ext: ServiceExtensions | undefined): void {
  const e = ext ?? {};
  const has = {
    tracingId: e.tracingId !== undefined,
    ttl: e.ttl !== undefined,
    protocol: e.protocol !== undefined,
    filter: e.filter !== undefined,
    dataMessageType: e.dataMessageType !== undefined,
    isPartial: e.isPartial !== undefined,
  };
  w.mapHeader(Object.values(has).filter(Boolean).length);
  // Key order as the SDK writes it.
  if (has.tracingId) { w.integer(EXTENSION_KEYS.tracingId); w.integer(e.tracingId!); }
  if (has.ttl) { w.integer(EXTENSION_KEYS.ttl); w.integer(e.ttl!); }
  if (has.protocol) { w.integer(EXTENSION_KEYS.protocol); w.string(e.protocol); }
  if (has.filter) { w.integer(EXTENSION_KEYS.filter); w.string(e.filter); }
  if (has.dataMessageType) { w.integer(EXTENSION_KEYS.dataMessageType); w.integer(e.dataMessageType!); }
  if (has.isPartial) { w.integer(EXTENSION_KEYS.isPartial); w.boolean(e.isPartial!); }
}
