/**
 * The JSON hub protocol: one JSON object per message, each followed by 0x1E.
 * Decoding follows the server side of ASP.NET Core SignalR: unknown properties and unknown message
 * types are ignored (future protocol additions), missing or mistyped required fields are errors.
 */
import { excerpt, HubProtocolError } from './errors.ts';
import { RECORD_SEPARATOR } from './framing.ts';
import { invalid, isPlainObject, isSequenceId, isStringArray, readHeaders, TYPE_NAMES } from './shape.ts';
import type { HubMessage } from './types.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes one message body (without its 0x1E). Returns `null` for a well-formed message of an
 * unknown type, which the caller ignores.
 */
export function decodeJsonMessage(body: Uint8Array): HubMessage | null | HubProtocolError {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return new HubProtocolError('InvalidUtf8', 'The message is not valid UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new HubProtocolError('InvalidEncoding', `The message is not valid JSON: '${excerpt(text)}'.`);
  }
  if (!isPlainObject(value)) return invalid('A hub message must be a JSON object.');
  return fromObject(value);
}

function fromObject(o: Record<string, unknown>): HubMessage | null | HubProtocolError {
  const type = o['type'];
  if (type === undefined) return invalid("Missing required property 'type'.");
  if (typeof type !== 'number' || !Number.isInteger(type)) return invalid("Expected 'type' to be of type Integer.");
  const name = TYPE_NAMES[type];
  if (name === undefined) return null;
  if (type === 6) return { type: 6 };
  if (type === 7) {
    const error = o['error'];
    const allowReconnect = o['allowReconnect'];
    if (error !== undefined && error !== null && typeof error !== 'string') return invalid("Expected 'error' to be of type String.");
    if (allowReconnect !== undefined && allowReconnect !== null && typeof allowReconnect !== 'boolean') {
      return invalid("Expected 'allowReconnect' to be of type Boolean.");
    }
    return { type: 7, error: error ?? undefined, allowReconnect: allowReconnect ?? undefined };
  }
  if (type === 8 || type === 9) {
    const sequenceId = o['sequenceId'];
    if (!isSequenceId(sequenceId)) return invalid(`Invalid SequenceId for ${name} message.`);
    return { type, sequenceId };
  }

  const headers = readHeaders(o['headers'], name);
  if (headers instanceof HubProtocolError) return headers;
  const invocationId = o['invocationId'];
  const hasId = typeof invocationId === 'string';
  if (invocationId !== undefined && invocationId !== null && !hasId) return invalid("Expected 'invocationId' to be of type String.");
  // Only fire-and-forget Invocations may omit the id.
  if (type !== 1 && !hasId) return invalid(`Missing required property 'invocationId' in ${name} message.`);
  const id = hasId ? invocationId : undefined;

  switch (type) {
    case 1:
    case 4: {
      const target = o['target'];
      const args = o['arguments'];
      const streamIds = o['streamIds'];
      if (typeof target !== 'string' || target === '') return invalid(`Missing required property 'target' in ${name} message.`);
      if (!Array.isArray(args)) return invalid(`Missing required property 'arguments' in ${name} message.`);
      if (streamIds !== undefined && streamIds !== null && !isStringArray(streamIds)) {
        return invalid("Expected 'streamIds' to be an array of String.");
      }
      const streams = streamIds && streamIds.length > 0 ? streamIds : undefined;
      if (type === 1) return { type: 1, headers, invocationId: id, target, arguments: args, streamIds: streams };
      return { type: 4, headers, invocationId: id!, target, arguments: args, streamIds: streams };
    }
    case 2:
      if (!('item' in o)) return invalid("Missing required property 'item' in StreamItem message.");
      return { type: 2, headers, invocationId: id!, item: o['item'] };
    case 3: {
      const error = o['error'];
      if (error !== undefined && error !== null) {
        if (typeof error !== 'string') return invalid("Expected 'error' to be of type String.");
        if ('result' in o) return invalid("The 'error' and 'result' properties are mutually exclusive.");
        return { type: 3, headers, invocationId: id!, resultKind: 'error', error };
      }
      if ('result' in o) return { type: 3, headers, invocationId: id!, resultKind: 'result', result: o['result'] };
      return { type: 3, headers, invocationId: id!, resultKind: 'void' };
    }
    default: // 5
      return { type: 5, headers, invocationId: id! };
  }
}

/** Binary values (from MessagePack peers) become base64 strings, as ASP.NET writes byte[] in JSON; bigints become numbers. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** Encodes one message followed by 0x1E. Values must be JSON-serialisable (no cycles). */
export function encodeJsonMessage(message: HubMessage): Buffer {
  return Buffer.from(`${JSON.stringify(toObject(message), replacer)}\u001e`, 'utf8');
}

function toObject(m: HubMessage): Record<string, unknown> {
  switch (m.type) {
    case 1:
    case 4:
      return {
        type: m.type,
        ...(m.headers ? { headers: m.headers } : {}),
        // The JS client rejects `"invocationId": null`; fire-and-forget invocations omit it.
        ...(m.invocationId !== undefined ? { invocationId: m.invocationId } : {}),
        target: m.target,
        arguments: m.arguments,
        ...(m.streamIds && m.streamIds.length > 0 ? { streamIds: m.streamIds } : {}),
      };
    case 2:
      return { type: 2, ...(m.headers ? { headers: m.headers } : {}), invocationId: m.invocationId, item: m.item ?? null };
    case 3: {
      const base = { type: 3, ...(m.headers ? { headers: m.headers } : {}), invocationId: m.invocationId };
      if (m.resultKind === 'error') return { ...base, error: m.error };
      if (m.resultKind === 'result') return { ...base, result: m.result ?? null };
      return base;
    }
    case 5:
      return { type: 5, ...(m.headers ? { headers: m.headers } : {}), invocationId: m.invocationId };
    case 6:
      return { type: 6 };
    case 7:
      return {
        type: 7,
        ...(m.error !== undefined ? { error: m.error } : {}),
        ...(m.allowReconnect === true ? { allowReconnect: true } : {}),
      };
    case 8:
    case 9:
      return { type: m.type, sequenceId: m.sequenceId };
  }
}

/** `{"type":6}` + 0x1E, shared by every JSON connection's keep-alive. */
export const JSON_PING: Buffer = Buffer.from([...Buffer.from('{"type":6}'), RECORD_SEPARATOR]);
