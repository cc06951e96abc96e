/**
 * Service → client messages of the protobuf subprotocols (binary frames, one `DownstreamMessage`
 * each). Control messages go through @bufbuild/protobuf. Data messages are the fan-out hot path:
 * their `DataMessage` body is written once per message (BinaryWriter) and shared by every socket;
 * a reliable socket adds only its `sequence_id` field in a few bytes of its own, as the JSON
 * encoder adds only its digits. Field order does not matter in protobuf, so the id goes first.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { Message, Payload, WebPubSubContent } from '../../../messaging/index.ts';
import { Outbound, type OwnPrefix } from '../../../transports/index.ts';
import { DownstreamMessageSchema } from './gen/webpubsub.client_pb.ts';

const BODY = 'wps.protobuf';
const FRAME = 'wps.protobuf.frame';

/** DownstreamMessage.data_message = 2, DataMessage.sequence_id = 4 (both as tag bytes). */
const DATA_MESSAGE_TAG = (2 << 3) | WireType.LengthDelimited;
const SEQUENCE_ID_TAG = (4 << 3) | WireType.Varint;

/** MessageData member per payload kind: text_data 1, binary_data 2, protobuf_data 3 (the Any), json_data 4. */
const DATA_FIELD: Record<Payload['kind'], number> = { text: 1, binary: 2, protobuf: 3, json: 4 };

export function downstream(init: MessageInitShape<typeof DownstreamMessageSchema>): Outbound {
  const bytes = toBinary(DownstreamMessageSchema, create(DownstreamMessageSchema, init));
  return Outbound.of(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), true);
}

/** The shared `DataMessage` body (from, group, data): strings and the Any go out as their bytes. */
export function dataBody(message: Message, content: WebPubSubContent): Buffer {
  let body = message.encoded.get(BODY) as Buffer | undefined;
  if (!body) {
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).string(content.from);
    if (content.group !== undefined) w.tag(2, WireType.LengthDelimited).string(content.group);
    const p = content.payload;
    w.tag(3, WireType.LengthDelimited).fork().tag(DATA_FIELD[p.kind], WireType.LengthDelimited).bytes(p.data).join();
    const bytes = w.finish();
    body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    message.encoded.set(BODY, body);
  }
  return body;
}

export function dataFrame(message: Message, content: WebPubSubContent): Outbound {
  let f = message.encoded.get(FRAME) as Outbound | undefined;
  if (!f) {
    const body = dataBody(message, content);
    const head: number[] = [DATA_MESSAGE_TAG];
    varint(head, body.length);
    // One buffer, copied once per message: every socket then writes two pieces (WebSocket header
    // and frame), as for JSON, instead of three.
    f = Outbound.of(Buffer.concat([Buffer.from(head), body]), true);
    message.encoded.set(FRAME, f);
  }
  return f;
}

/**
 * A reliable socket's frame: `DownstreamMessage { data_message = { sequence_id, <shared body> } }`.
 * Its own bytes (both tags, the data message's length and the id) go in one small buffer with the
 * WebSocket header; the shared body is referenced, not copied.
 */
export function sequencedDataFrame(message: Message, content: WebPubSubContent, sequenceId: number): Outbound {
  return sequencedFrame(dataBody(message, content), sequenceId);
}

/** A reliable socket's own bytes in front of the shared body: both tags, the data message's length and the id. */
export const sequencedPrefix: OwnPrefix = {
  binary: true,
  length: (sequenceId: number, bodyLength: number) => ownLength(bodyLength, sequenceId),
  write: writeSequencedHead,
};

/** `sequencedDataFrame` from the shared body (`dataBody`). */
export function sequencedFrame(body: Buffer, sequenceId: number): Outbound {
  return Outbound.withOwnPrefix(sequencedPrefix, sequenceId, body);
}

/** Bytes a reliable socket's frame has of its own in front of the shared body. */
function ownLength(bodyLength: number, sequenceId: number): number {
  const inner = 1 + varintLength(sequenceId) + bodyLength;
  return 1 + varintLength(inner) + 1 + varintLength(sequenceId);
}

/** data_message's tag and length, then sequence_id's tag and value (the shared body follows). */
function writeSequencedHead(into: Buffer, at: number, sequenceId: number, bodyLength: number): void {
  into[at++] = DATA_MESSAGE_TAG;
  at = writeVarint(into, at, 1 + varintLength(sequenceId) + bodyLength);
  into[at++] = SEQUENCE_ID_TAG;
  writeVarint(into, at, sequenceId);
}

/** Appends a non-negative integer below 2^53 as a protobuf varint. */
function varint(out: number[], n: number): void {
  while (n > 0x7f) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

function varintLength(n: number): number {
  let k = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 0x80);
    k++;
  }
  return k;
}

/** Writes a non-negative integer below 2^53 as a varint at `at`; returns the offset after it. */
function writeVarint(into: Buffer, at: number, n: number): number {
  while (n > 0x7f) {
    into[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  into[at++] = n;
  return at;
}

export function invocationFailed(invocationId: string): Outbound {
  return downstream({
    message: {
      case: 'invokeResponseMessage',
      value: { invocationId, success: false, error: { name: 'InvocationFailed', message: 'Invocations are not supported by this server.' } },
    },
  });
}

export function streamClosed(streamId: string, name: 'StreamNotFound' | 'BadRequest'): Outbound {
  return downstream({
    message: { case: 'streamClosedMessage', value: { streamId, error: { name, message: 'Streams are not supported by this server.' } } },
  });
}
