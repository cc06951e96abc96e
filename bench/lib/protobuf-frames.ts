/**
 * The protobuf subprotocol's few messages the load generators need, encoded and decoded with the
 * code generated from Lapis's copy of Azure's .proto (the same schema any protobuf client uses).
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DownstreamMessageSchema, UpstreamMessageSchema } from '../../src/protocols/webpubsub/protobuf/gen/webpubsub.client_pb.ts';

/** `send_to_group_message` with `text_data` (no ack id: fire and forget, as the JSON publishers). */
export function protobufSendToGroup(group: string, text: string): Buffer {
  const bytes = toBinary(UpstreamMessageSchema, create(UpstreamMessageSchema, {
    message: { case: 'sendToGroupMessage', value: { group, data: { data: { case: 'textData', value: text } } } },
  }));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The connection id of a `connected` system message, undefined for anything else. */
export function protobufConnectedId(frame: Buffer): string | undefined {
  try {
    const m = fromBinary(DownstreamMessageSchema, frame).message;
    if (m.case === 'systemMessage' && m.value.message.case === 'connectedMessage') return m.value.message.value.connectionId;
  } catch {
    // not a DownstreamMessage
  }
  return undefined;
}
