/**
 * Service → client encodings. Data messages are encoded once per (message, format) and cached on
 * the message (`Message.encoded`), so a fan-out to N sockets of the same format encodes once.
 */
import type { Message, Payload, WebPubSubContent } from '../../messaging/index.ts';
import { Outbound, type OwnPrefix } from '../../transports/index.ts';

const SIMPLE = 'wps.simple';
const JSON_V1 = 'wps.json';
const JSON_RELIABLE = 'wps.json.reliable';

/**
 * Plain WebSocket clients get the payload bytes as-is: text and json in text frames, binary and
 * protobuf (the encoded Any, as Azure sends it) in binary frames.
 */
export function simpleFrame(message: Message, content: WebPubSubContent): Outbound {
  let f = message.encoded.get(SIMPLE) as Outbound | undefined;
  if (!f) {
    const p = content.payload;
    f = Outbound.of(p.data, p.kind === 'binary' || p.kind === 'protobuf');
    message.encoded.set(SIMPLE, f);
  }
  return f;
}

/** `json.webpubsub.azure.v1`: one text message, shared (with its WebSocket framing) by every socket. */
export function jsonFrame(message: Message, content: WebPubSubContent): Outbound {
  let f = message.encoded.get(JSON_V1) as Outbound | undefined;
  if (!f) {
    f = Outbound.of(Buffer.from(`{${messageFields(content)}}`, 'utf8'));
    message.encoded.set(JSON_V1, f);
  }
  return f;
}

const SEQ_PREFIX = Buffer.from('{"sequenceId":');

/**
 * `json.reliable.webpubsub.azure.v1`: the body is `{"sequenceId":<n>,<shared fields>}`. The shared
 * part is encoded once per message; each socket adds only `{"sequenceId":` and its digits
 * (`sequencedJsonPrefix`) in front of it.
 */
export function reliableFrame(message: Message, content: WebPubSubContent, sequenceId: number): Outbound {
  return sequencedJsonFrame(reliableSuffix(message, content), sequenceId);
}

/** The shared part of a reliable JSON data message, `,<fields>}` (encoded once per message). */
export function reliableSuffix(message: Message, content: WebPubSubContent): Buffer {
  let suffix = message.encoded.get(JSON_RELIABLE) as Buffer | undefined;
  if (!suffix) {
    suffix = Buffer.from(`,${messageFields(content)}}`, 'utf8');
    message.encoded.set(JSON_RELIABLE, suffix);
  }
  return suffix;
}

/** `{"sequenceId":<n>` in front of a shared suffix (`reliableSuffix`): a socket's own bytes. */
export const sequencedJsonPrefix: OwnPrefix = {
  binary: false,
  length: (sequenceId: number) => SEQ_PREFIX.length + decimalDigits(sequenceId),
  write: writeSequencePrefix,
};

/** `{"sequenceId":<n>` in front of a shared suffix (`reliableSuffix`). */
export function sequencedJsonFrame(suffix: Buffer, sequenceId: number): Outbound {
  return Outbound.withOwnPrefix(sequencedJsonPrefix, sequenceId, suffix);
}

/** Writes `{"sequenceId":<n>` (its length counted by the caller). */
function writeSequencePrefix(into: Buffer, at: number, sequenceId: number): void {
  for (let i = 0; i < SEQ_PREFIX.length; i++) into[at + i] = SEQ_PREFIX[i]!;
  let n = sequenceId;
  let k = at + SEQ_PREFIX.length + decimalDigits(n);
  do {
    const q = Math.floor(n / 10);
    into[--k] = 0x30 + (n - q * 10);
    n = q;
  } while (n > 0);
}

/** Digits of a non-negative safe integer in base 10. */
function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function messageFields(m: WebPubSubContent): string {
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
    case 'protobuf':
      // Azure: JSON clients get a protobuf client's Any as base64 of its encoding.
      return `"dataType":"protobuf","data":"${p.data.toString('base64')}"`;
  }
}

/** A per-connection JSON control message (ack, system, pong…); JSON protocols use text frames only. */
export function controlFrame(value: unknown): Outbound {
  return Outbound.of(Buffer.from(JSON.stringify(value), 'utf8'));
}
