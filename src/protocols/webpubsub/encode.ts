/**
 * Service → client encodings. Data messages are encoded once per (message, format) and cached on
 * the message (`Message.encoded`), so a fan-out to N sockets of the same format encodes once.
 */
import type { Message, Payload } from '../../messaging/index.ts';
import { frame, frameHeader, OPCODE_BINARY, OPCODE_TEXT } from './frame.ts';

const SIMPLE = 'wps.simple';
const JSON_V1 = 'wps.json';
const JSON_RELIABLE = 'wps.json.reliable';

/** Plain WebSocket clients get the payload bytes as-is: text and json in text frames, binary in binary frames. */
export function simpleFrame(message: Message): readonly Buffer[] {
  let f = message.encoded.get(SIMPLE) as Buffer[] | undefined;
  if (!f) {
    const p = message.payload;
    f = frame(p.kind === 'binary' ? OPCODE_BINARY : OPCODE_TEXT, p.data);
    message.encoded.set(SIMPLE, f);
  }
  return f;
}

/** `json.webpubsub.azure.v1`: one text frame, shared by every socket. */
export function jsonFrame(message: Message): readonly Buffer[] {
  let f = message.encoded.get(JSON_V1) as Buffer[] | undefined;
  if (!f) {
    const body = Buffer.from(`{${messageFields(message)}}`, 'utf8');
    f = frame(OPCODE_TEXT, body);
    message.encoded.set(JSON_V1, f);
  }
  return f;
}

const SEQ_PREFIX = Buffer.from('{"sequenceId":');

/**
 * `json.reliable.webpubsub.azure.v1`: the body is `{"sequenceId":<n>,<shared fields>}`. The shared
 * part is encoded once; each socket adds only its header and the digits of its sequence id.
 */
export function reliableFrame(message: Message, sequenceId: number): Buffer[] {
  let suffix = message.encoded.get(JSON_RELIABLE) as Buffer | undefined;
  if (!suffix) {
    suffix = Buffer.from(`,${messageFields(message)}}`, 'utf8');
    message.encoded.set(JSON_RELIABLE, suffix);
  }
  const digits = Buffer.from(String(sequenceId), 'latin1');
  const length = SEQ_PREFIX.length + digits.length + suffix.length;
  return [frameHeader(OPCODE_TEXT, length), SEQ_PREFIX, digits, suffix];
}

function messageFields(m: Message): string {
  let s = `"type":"message","from":"${m.from}"`;
  if (m.group !== undefined) s += `,"group":${JSON.stringify(m.group)}`;
  if (m.fromUserId !== undefined) s += `,"fromUserId":${JSON.stringify(m.fromUserId)}`;
  return `${s},${payloadFields(m.payload)}`;
}

/** `"dataType":…,"data":…` — json payloads are already valid JSON text and are inlined verbatim. */
export function payloadFields(p: Payload): string {
  switch (p.kind) {
    case 'json':
      return `"dataType":"json","data":${p.data.toString('utf8')}`;
    case 'text':
      return `"dataType":"text","data":${JSON.stringify(p.data.toString('utf8'))}`;
    case 'binary':
      return `"dataType":"binary","data":"${p.data.toString('base64')}"`;
  }
}

/** A per-connection JSON control frame (ack, system, pong…); JSON protocols use text frames only. */
export function controlFrame(value: unknown): Buffer[] {
  return frame(OPCODE_TEXT, Buffer.from(JSON.stringify(value), 'utf8'));
}
