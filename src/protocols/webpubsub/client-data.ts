/** Decoding of the `dataType`/`data` pair carried by JSON-protocol client messages. */
import type { Payload } from '../../messaging/index.ts';
import { isEncodedAny } from './protobuf/any.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Returns the payload, or a message describing why the pair is invalid. */
export function decodeClientData(dataType: unknown, data: unknown): Payload | string {
  const type = dataType === undefined ? 'json' : dataType;
  switch (type) {
    case 'json':
      if (data === undefined || data === null) return 'The data of a json message must not be null.';
      return { kind: 'json', data: Buffer.from(JSON.stringify(data), 'utf8') };
    case 'text':
      if (typeof data !== 'string') return 'The data of a text message must be a string.';
      return { kind: 'text', data: Buffer.from(data, 'utf8') };
    case 'binary':
      if (typeof data !== 'string' || !BASE64.test(data)) return 'The data of a binary message must be a base64 string.';
      return { kind: 'binary', data: Buffer.from(data, 'base64') };
    case 'protobuf': {
      // Base64 of an encoded google.protobuf.Any (what a JSON client receives from a protobuf one).
      if (typeof data !== 'string' || !BASE64.test(data)) return 'The data of a protobuf message must be a base64 string.';
      const bytes = Buffer.from(data, 'base64');
      if (!isEncodedAny(bytes)) return 'The data of a protobuf message must be a base64-encoded google.protobuf.Any.';
      return { kind: 'protobuf', data: bytes };
    }
    default:
      return `Unknown dataType '${String(type)}'.`;
  }
}
