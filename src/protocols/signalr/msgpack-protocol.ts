/**
 * The MessagePack hub protocol: each message is a MessagePack array preceded by a VarInt length
 * (the framing is in framing.ts). Layouts, after the type number:
 *   Invocation / StreamInvocation  [headers, invocationId|nil, target, arguments, streamIds?]
 *   StreamItem                     [headers, invocationId, item]
 *   Completion                     [headers, invocationId, resultKind(1 error, 2 void, 3 result), value?]
 *   CancelInvocation               [headers, invocationId]
 *   Ping []   Close [error|nil, allowReconnect?]   Ack / Sequence [sequenceId]
 * As with JSON, trailing extra elements and unknown message types are ignored.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { HubProtocolError } from './errors.ts';
import { varIntPrefix } from './framing.ts';
import { invalid, isSequenceId, isStringArray, readHeaders, TYPE_NAMES } from './shape.ts';
import type { HubMessage } from './types.ts';

const decoders = new Map<number, Decoder>();

/**
 * Every string, binary, array or map element needs at least one byte of input, so limits equal to
 * the message size reject lying length headers before the decoder allocates for them.
 */
function decoderFor(maxMessageBytes: number): Decoder {
  let d = decoders.get(maxMessageBytes);
  if (!d) {
    const max = maxMessageBytes;
    d = new Decoder({ maxStrLength: max, maxBinLength: max, maxArrayLength: max, maxMapLength: max, maxExtLength: max });
    if (decoders.size > 16) decoders.clear();
    decoders.set(maxMessageBytes, d);
  }
  return d;
}

/** Decodes one message body (without its length prefix). `null` = well-formed message of an unknown type. */
export function decodeMsgpackMessage(body: Uint8Array, maxMessageBytes = body.length): HubMessage | null | HubProtocolError {
  if (body.length === 0) return invalid('Invalid payload: empty message.');
  let value: unknown;
  try {
    value = decoderFor(Math.max(maxMessageBytes, body.length)).decode(body);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return new HubProtocolError('InvalidEncoding', `The message is not valid MessagePack: ${reason.slice(0, 120)}`);
  }
  if (!Array.isArray(value) || value.length === 0) return invalid('A hub message must be a non-empty MessagePack array.');
  return fromArray(value);
}

function fromArray(a: unknown[]): HubMessage | null | HubProtocolError {
  const type = a[0];
  if (typeof type !== 'number' || !Number.isInteger(type)) return invalid('The message type must be an integer.');
  const name = TYPE_NAMES[type];
  if (name === undefined) return null;
  const need = ({ 1: 5, 2: 4, 3: 4, 4: 5, 5: 3, 6: 1, 7: 2, 8: 2, 9: 2 } as Record<number, number>)[type]!;
  if (a.length < need) return invalid(`Invalid payload for ${name} message.`);
  if (type === 6) return { type: 6 };
  if (type === 7) {
    const error = a[1];
    const allowReconnect = a.length >= 3 ? a[2] : undefined;
    if (error !== null && typeof error !== 'string') return invalid('Invalid error for Close message.');
    if (allowReconnect !== undefined && allowReconnect !== null && typeof allowReconnect !== 'boolean') {
      return invalid('Invalid allowReconnect for Close message.');
    }
    return { type: 7, error: error ?? undefined, allowReconnect: allowReconnect ?? undefined };
  }
  if (type === 8 || type === 9) {
    if (!isSequenceId(a[1])) return invalid(`Invalid SequenceId for ${name} message.`);
    return { type, sequenceId: a[1] };
  }

  const headers = readHeaders(a[1], name);
  if (headers instanceof HubProtocolError) return headers;
  const invocationId = a[2];
  const hasId = typeof invocationId === 'string';
  if (invocationId !== null && !hasId) return invalid(`Invalid invocation id for ${name} message.`);
  if (type !== 1 && !hasId) return invalid(`Missing invocation id for ${name} message.`);
  const id = hasId ? invocationId : undefined;

  switch (type) {
    case 1:
    case 4: {
      const target = a[3];
      const args = a[4];
      const streamIds = a.length >= 6 ? a[5] : undefined;
      if (typeof target !== 'string' || target === '') return invalid(`Invalid target for ${name} message.`);
      if (!Array.isArray(args)) return invalid(`Invalid arguments for ${name} message.`);
      if (streamIds !== undefined && streamIds !== null && !isStringArray(streamIds)) {
        return invalid(`Invalid stream ids for ${name} message.`);
      }
      const streams = streamIds && streamIds.length > 0 ? streamIds : undefined;
      if (type === 1) return { type: 1, headers, invocationId: id, target, arguments: args, streamIds: streams };
      return { type: 4, headers, invocationId: id!, target, arguments: args, streamIds: streams };
    }
    case 2:
      return { type: 2, headers, invocationId: id!, item: a[3] };
    case 3: {
      const kind = a[3];
      if (kind === 2) return { type: 3, headers, invocationId: id!, resultKind: 'void' };
      if ((kind !== 1 && kind !== 3) || a.length < 5) return invalid('Invalid payload for Completion message.');
      if (kind === 3) return { type: 3, headers, invocationId: id!, resultKind: 'result', result: a[4] };
      if (typeof a[4] !== 'string') return invalid('Invalid error for Completion message.');
      return { type: 3, headers, invocationId: id!, resultKind: 'error', error: a[4] };
    }
    default: // 5
      return { type: 5, headers, invocationId: id! };
  }
}

// Deep enough for any payload the REST layer accepts (JSON depth ≤ 64 plus the message envelope).
const encoder = new Encoder({ maxDepth: 128 });

/** Encodes one message with its VarInt length prefix. */
export function encodeMsgpackMessage(message: HubMessage): Buffer {
  return frameMsgpack(encoder.encodeSharedRef(toArray(message)));
}

/** Prefixes a MessagePack body with its length; copies it, so shared encoder buffers may be passed. */
export function frameMsgpack(body: Uint8Array): Buffer {
  const prefix = varIntPrefix(body.length);
  const out = Buffer.allocUnsafe(prefix.length + body.length);
  prefix.copy(out, 0);
  out.set(body, prefix.length);
  return out;
}

function toArray(m: HubMessage): unknown[] {
  switch (m.type) {
    case 1:
    case 4: {
      const a: unknown[] = [m.type, m.headers ?? {}, m.invocationId ?? null, m.target, m.arguments];
      if (m.streamIds && m.streamIds.length > 0) a.push(m.streamIds);
      return a;
    }
    case 2:
      return [2, m.headers ?? {}, m.invocationId, m.item ?? null];
    case 3:
      if (m.resultKind === 'error') return [3, m.headers ?? {}, m.invocationId, 1, m.error];
      if (m.resultKind === 'result') return [3, m.headers ?? {}, m.invocationId, 3, m.result ?? null];
      return [3, m.headers ?? {}, m.invocationId, 2];
    case 5:
      return [5, m.headers ?? {}, m.invocationId];
    case 6:
      return [6];
    case 7:
      // ASP.NET writes all three elements; clients read allowReconnect only when present.
      return [7, m.error ?? null, m.allowReconnect === true];
    case 8:
    case 9:
      return [m.type, m.sequenceId];
  }
}

/** `02 91 06`: the Ping every MessagePack connection's keep-alive sends. */
export const MSGPACK_PING: Buffer = Buffer.from([0x02, 0x91, 0x06]);
