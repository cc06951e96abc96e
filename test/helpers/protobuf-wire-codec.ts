/**
 * `protobuf.reliable.webpubsub.azure.v1` as a `WireCodec` of the codec-neutral reliable test client
 * (reliable-client.ts), so the reliability fault tests run over protobuf as over JSON. Encoded and
 * decoded with the code generated from Azure's .proto.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { DownstreamMessageSchema, UpstreamMessageSchema } from '../../src/protocols/webpubsub/protobuf/gen/webpubsub.client_pb.ts';
import type { MessageData } from '../../src/protocols/webpubsub/protobuf/gen/webpubsub.client_pb.ts';
import type { Down, Up, WireCodec } from './reliable-client.ts';
import { PROTOBUF_RELIABLE, text } from './protobuf-client.ts';

const big = (n: number | undefined) => (n === undefined ? undefined : BigInt(n));

function upstream(m: Up): MessageInitShape<typeof UpstreamMessageSchema> {
  switch (m.type) {
    case 'joinGroup':
      return { message: { case: 'joinGroupMessage', value: { group: m.group, ackId: big(m.ackId) } } };
    case 'leaveGroup':
      return { message: { case: 'leaveGroupMessage', value: { group: m.group, ackId: big(m.ackId) } } };
    case 'sendToGroup':
      return { message: { case: 'sendToGroupMessage', value: { group: m.group, data: text(m.data), ackId: big(m.ackId), noEcho: m.noEcho } } };
    case 'event':
      return { message: { case: 'eventMessage', value: { event: m.event, data: text(m.data), ackId: big(m.ackId) } } };
    case 'sequenceAck':
      return { message: { case: 'sequenceAckMessage', value: { sequenceId: BigInt(m.sequenceId) } } };
    case 'ping':
      return { message: { case: 'pingMessage', value: {} } };
  }
}

/** Payloads as the JSON codec shows them: text as-is, JSON as its text, bytes as base64. */
function dataText(d: MessageData | undefined): string {
  const v = d?.data;
  switch (v?.case) {
    case 'textData':
    case 'jsonData':
      return v.value;
    case 'binaryData':
      return Buffer.from(v.value).toString('base64');
    case 'protobufData':
      return Buffer.from(v.value.value).toString('base64');
    default:
      return '';
  }
}

export const protobufReliableCodec: WireCodec = {
  name: 'reliable protobuf',
  protocol: PROTOBUF_RELIABLE,
  encode: (m) => toBinary(UpstreamMessageSchema, create(UpstreamMessageSchema, upstream(m))),
  decode(data: Buffer, isBinary: boolean): Down {
    if (!isBinary) return { type: 'other', raw: data };
    const m = fromBinary(DownstreamMessageSchema, data).message;
    switch (m.case) {
      case 'systemMessage': {
        const s = m.value.message;
        if (s.case === 'connectedMessage') {
          return { type: 'connected', connectionId: s.value.connectionId, userId: s.value.userId || null, reconnectionToken: s.value.reconnectionToken };
        }
        if (s.case === 'disconnectedMessage') return { type: 'disconnected', message: s.value.reason };
        return { type: 'other', raw: m };
      }
      case 'ackMessage':
        return { type: 'ack', ackId: Number(m.value.ackId), success: m.value.success, error: m.value.error && { name: m.value.error.name, message: m.value.error.message } };
      case 'dataMessage': {
        const d = m.value;
        return { type: 'message', sequenceId: d.sequenceId === undefined ? undefined : Number(d.sequenceId), from: d.from, group: d.group, data: dataText(d.data) };
      }
      case 'pongMessage':
        return { type: 'pong' };
      default:
        return { type: 'other', raw: m };
    }
  },
};
