/**
 * Client frames of the protobuf subprotocols: one `UpstreamMessage` per WebSocket message (binary
 * frames as Azure's clients send; text frames are read the same way). Decoding is done by
 * @bufbuild/protobuf from Azure's schema; anything it refuses, or a message with no known member
 * set, closes the connection with 1007, as malformed JSON does.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import type { Payload } from '../../../messaging/index.ts';
import type { ClientRequest } from '../codec.ts';
import { CLOSE_INVALID_PAYLOAD } from '../session.ts';
import { ttlRefusal } from '../message-ttl.ts';
import type { MessageData, UpstreamMessage } from './gen/webpubsub.client_pb.ts';
import { UpstreamMessageSchema } from './gen/webpubsub.client_pb.ts';
import { invocationFailed, streamClosed } from './encode.ts';

const STREAMS_UNSUPPORTED = 'Streams are not supported by this server.';

function violation(reason: string): ClientRequest {
  return { type: 'violation', code: CLOSE_INVALID_PAYLOAD, reason };
}

/** ack ids are uint64 on the wire; ids past 2^53 cannot be told apart here and are refused. */
function ackIdOf(raw: bigint | undefined): number | undefined | null {
  if (raw === undefined) return undefined;
  return raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : null;
}

/** The payload of a `MessageData`, or why it is invalid (answered with a BadRequest ack). */
export function readData(d: MessageData | undefined): Payload | string {
  const data = d?.data;
  switch (data?.case) {
    case 'textData':
      return { kind: 'text', data: Buffer.from(data.value, 'utf8') };
    case 'binaryData':
      return { kind: 'binary', data: Buffer.from(data.value) };
    case 'protobufData':
      return { kind: 'protobuf', data: Buffer.from(toBinary(AnySchema, data.value)) };
    case 'jsonData':
      try {
        JSON.parse(data.value);
      } catch {
        return 'json_data must be valid JSON text.';
      }
      return { kind: 'json', data: Buffer.from(data.value, 'utf8') };
    default:
      return 'The message has no data: set one of text_data, binary_data, protobuf_data or json_data.';
  }
}

export function decodeUpstream(bytes: Buffer): ClientRequest {
  let m: UpstreamMessage;
  try {
    m = fromBinary(UpstreamMessageSchema, bytes);
  } catch {
    return violation('The client message is not a valid protobuf protocol message.');
  }
  const msg = m.message;
  switch (msg.case) {
    case 'joinGroupMessage':
    case 'leaveGroupMessage': {
      const ackId = ackIdOf(msg.value.ackId);
      if (ackId === null) return violation('ack_id is too large.');
      return { type: msg.case === 'joinGroupMessage' ? 'joinGroup' : 'leaveGroup', group: msg.value.group, ackId };
    }
    case 'sendToGroupMessage': {
      const v = msg.value;
      const ackId = ackIdOf(v.ackId);
      if (ackId === null) return violation('ack_id is too large.');
      const stream = v.stream ? streamClosed(v.stream.streamId, 'BadRequest') : undefined;
      return {
        type: 'sendToGroup', group: v.group, ackId, noEcho: v.noEcho === true,
        payload: stream ? STREAMS_UNSUPPORTED : ttlRefusal(v.ttlSeconds) ?? readData(v.data), streamClosed: stream,
      };
    }
    case 'eventMessage': {
      const v = msg.value;
      const ackId = ackIdOf(v.ackId);
      if (ackId === null) return violation('ack_id is too large.');
      return { type: 'event', event: v.event, ackId, payload: v.stream ? STREAMS_UNSUPPORTED : readData(v.data) };
    }
    case 'sequenceAckMessage': {
      const id = msg.value.sequenceId;
      // Ids never reach 2^53: a larger ack acknowledges everything.
      return { type: 'sequenceAck', sequenceId: id > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(id) };
    }
    case 'pingMessage':
      return { type: 'ping' };
    case 'invokeEventMessage':
      return { type: 'reply', frame: invocationFailed(msg.value.invocationId) };
    case 'cancelInvocationMessage':
      return { type: 'reply', frame: null };
    case 'streamDataMessage':
    case 'streamEndMessage':
      return { type: 'reply', frame: streamClosed(msg.value.streamId, 'StreamNotFound') };
    case 'setGroupStateMessage':
    case 'subscribeGroupStateMessage':
    case 'unsubscribeGroupStateMessage': {
      const ackId = ackIdOf(msg.value.ackId);
      if (ackId === null) return violation('ack_id is too large.');
      return { type: 'unsupported', name: msg.case.replace(/Message$/, ''), ackId };
    }
    default:
      return violation('The client message has no known message type.');
  }
}
