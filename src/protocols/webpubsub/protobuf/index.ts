/** The protobuf wire format (`protobuf.webpubsub.azure.v1`, `protobuf.reliable.webpubsub.azure.v1`, reference §4.7). */
import type { Message, WebPubSubContent } from '../../../messaging/index.ts';
import type { Outbound } from '../../../transports/index.ts';
import type { AckError, PubSubCodec } from '../codec.ts';
import { decodeUpstream } from './decode.ts';
import { dataBody, dataFrame, downstream, sequencedFrame, sequencedPrefix } from './encode.ts';

const PONG = downstream({ message: { case: 'pongMessage', value: {} } });

export const protobufCodec: PubSubCodec = {
  format: 'protobuf',
  binaryFrames: true,

  decode(data: Buffer): ReturnType<PubSubCodec['decode']> {
    return decodeUpstream(data);
  },

  connected(connectionId: string, userId: string | undefined, reconnectionToken: string | undefined): Outbound {
    // user_id is a plain proto3 string: anonymous connections get "" (as Azure's emulator writes).
    return downstream({
      message: {
        case: 'systemMessage',
        value: { message: { case: 'connectedMessage', value: { connectionId, userId: userId ?? '', reconnectionToken } } },
      },
    });
  },

  disconnected(reason: string): Outbound {
    return downstream({
      message: { case: 'systemMessage', value: { message: { case: 'disconnectedMessage', value: { reason } } } },
    });
  },

  ack(ackId: number, error?: AckError): Outbound {
    return downstream({
      message: {
        case: 'ackMessage',
        value: error ? { ackId: BigInt(ackId), success: false, error } : { ackId: BigInt(ackId), success: true },
      },
    });
  },

  pong(): Outbound {
    return PONG;
  },

  data(message: Message, content: WebPubSubContent): Outbound {
    return dataFrame(message, content);
  },

  reliableBody(message: Message, content: WebPubSubContent): Buffer {
    return dataBody(message, content);
  },

  sequenced: sequencedFrame,
  sequencedPrefix,
};
