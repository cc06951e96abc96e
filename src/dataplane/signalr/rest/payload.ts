/**
 * `:send` bodies by media type (reference §1.3, §1.4): JSON PayloadMessage (property names
 * case-insensitive: the .NET SDK writes PascalCase), or, for `application/octet-stream` and
 * `application/x-msgpack`, a MessagePack map of protocol name → framed invocation.
 */
import { parseBinaryPayload, parsePayloadMessage } from '../../../protocols/signalr/index.ts';
import type { SignalRMessage } from '../../../protocols/signalr/index.ts';
import { badRequest, dataPlaneErrors } from '../../webpubsub/errors.ts';

export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  return contentType.split(';')[0]!.trim().toLowerCase() || undefined;
}

export function parseSendBody(contentType: string | undefined, body: Buffer | undefined): SignalRMessage {
  if (!body || body.length === 0) throw badRequest('The request body is empty: a message with a target is required.', 'Request');
  const type = mediaType(contentType);
  let result;
  if (type === undefined || type === 'application/json' || type === 'text/json' || type.endsWith('+json')) {
    result = parsePayloadMessage(body);
  } else if (type === 'application/octet-stream' || type === 'application/x-msgpack') {
    result = parseBinaryPayload(body);
  } else {
    throw dataPlaneErrors.unsupportedMediaType(`The content type '${type.slice(0, 100)}' is not supported: use application/json, application/x-msgpack or application/octet-stream.`);
  }
  if (!result.ok) throw badRequest(result.message, 'Request');
  return result.message;
}
