/**
 * Decoding one message body (the bytes after the length prefix). The result is the message, `null`
 * for a well-formed array of a type this protocol version does not know (the SDK skips those), or a
 * ServiceProtocolError. Nothing thrown inside the MessagePack reader escapes from here.
 */
import { ServiceProtocolError } from './errors.ts';
import { MsgpackReadError, MsgpackReader } from './msgpack-reader.ts';
import { MESSAGE_READERS } from './decode-messages.ts';
import { SERVICE_MESSAGE_NAMES } from './types.ts';
import type { ServiceMessage } from './types.ts';

export type DecodeResult = ServiceMessage | null | ServiceProtocolError;

export function decodeServiceMessageBody(body: Uint8Array): DecodeResult {
  if (body.length === 0) return new ServiceProtocolError('InvalidMessage', 'Empty message body.');
  const r = new MsgpackReader(body);
  let type = -1;
  let length = 0;
  try {
    length = r.readArrayHeader('message');
    type = r.readInt32('messageType');
    const reader = MESSAGE_READERS.get(type);
    if (!reader) return null;
    // Like the SDK's reader, fields are read in order from the body; the array length only decides
    // which optional fields are read. A short array therefore fails only if the body ends too.
    return reader.read(r, length);
  } catch (e) {
    if (e instanceof MsgpackReadError) {
      const name = SERVICE_MESSAGE_NAMES.get(type);
      const min = MESSAGE_READERS.get(type)?.min ?? 0;
      if (e.kind === 'encoding' && length < min) {
        return new ServiceProtocolError('InvalidMessage', `${name} needs at least ${min} elements, got ${length}.`);
      }
      const where = name ? ` (${name})` : '';
      return new ServiceProtocolError(e.kind === 'encoding' ? 'InvalidEncoding' : 'InvalidMessage', `${e.message}${where}`);
    }
    // Defensive: the reader only throws MsgpackReadError, but a bug must not crash the endpoint.
    return new ServiceProtocolError('InvalidMessage', `Unreadable message: ${e instanceof Error ? e.message.slice(0, 80) : 'unknown'}`);
  }
}
