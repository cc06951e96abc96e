/**
 * The extension map that ends most service messages: MessagePack map of int key → value. The SDK
 * writes only the members that are set (an empty map otherwise) and skips keys it does not know,
 * so newer services and SDKs can add members; Lapis does the same.
 */
import type { MsgpackReader } from './msgpack-reader.ts';
import type { MsgpackWriter } from './msgpack-writer.ts';
import type { ServiceExtensions } from './types.ts';

export const EXTENSION_KEYS = { tracingId: 1, ttl: 2, protocol: 3, filter: 4, dataMessageType: 5, isPartial: 6 } as const;

export function readExtensions(r: MsgpackReader): ServiceExtensions {
  const ext: ServiceExtensions = {};
  const count = r.readMapHeader('ext');
  for (let i = 0; i < count; i++) {
    const key = r.readInt32('ext key');
    switch (key) {
      case EXTENSION_KEYS.tracingId: ext.tracingId = r.readUInt64('ext.tracingId'); break;
      case EXTENSION_KEYS.ttl: ext.ttl = r.readInt32('ext.ttl'); break;
      // A nil string member is the same as an absent one (the SDK only writes non-null ones).
      case EXTENSION_KEYS.protocol: { const v = r.readString('ext.protocol'); if (v !== null) ext.protocol = v; break; }
      case EXTENSION_KEYS.filter: { const v = r.readString('ext.filter'); if (v !== null) ext.filter = v; break; }
      case EXTENSION_KEYS.dataMessageType: ext.dataMessageType = r.readInt32('ext.dataMessageType'); break;
      case EXTENSION_KEYS.isPartial: ext.isPartial = r.readBoolean('ext.isPartial'); break;
      default: r.skip();
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
