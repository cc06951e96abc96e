/**
 * The JSON wire format (`json.webpubsub.azure.v1`, `json.reliable.webpubsub.azure.v1`, reference
 * §4.2–§4.3): text frames only, one JSON object per frame.
 */
import type { Message, WebPubSubContent } from '../../messaging/index.ts';
import type { Outbound } from '../../transports/index.ts';
import type { AckError, ClientRequest, PubSubCodec } from './codec.ts';
import { decodeClientData } from './client-data.ts';
import { ttlRefusal } from './message-ttl.ts';
import { controlFrame, jsonFrame, reliableFrame } from './encode.ts';
import { previewReply, streamClosed } from './preview-types.ts';
import { CLOSE_INVALID_PAYLOAD, CLOSE_UNSUPPORTED } from './session.ts';

type Json = Record<string, unknown>;

const PONG = controlFrame({ type: 'pong' });

export const jsonCodec: PubSubCodec = {
  format: 'json',
  binaryFrames: false,

  decode(data: Buffer, isBinary: boolean): ClientRequest {
    if (isBinary) return { type: 'violation', code: CLOSE_UNSUPPORTED, reason: 'Binary frames are not supported by JSON subprotocols.' };
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      msg = undefined;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || typeof (msg as Json).type !== 'string') {
      return { type: 'violation', code: CLOSE_INVALID_PAYLOAD, reason: 'The client message is not a valid JSON protocol message.' };
    }
    const m = msg as Json;
    const ackId = m.ackId;
    if (ackId !== undefined && (typeof ackId !== 'number' || !Number.isSafeInteger(ackId) || ackId < 0)) {
      return { type: 'violation', code: CLOSE_INVALID_PAYLOAD, reason: 'ackId must be a non-negative integer.' };
    }
    switch (m.type) {
      case 'joinGroup':
      case 'leaveGroup':
        return { type: m.type, group: m.group, ackId };
      case 'sendToGroup': {
        const stream = m.stream === undefined ? undefined : streamClosed((m.stream as Json | null)?.streamId, 'BadRequest');
        return {
          type: 'sendToGroup', group: m.group, ackId, noEcho: m.noEcho === true,
          payload: stream ? 'Streams are not supported by this server.' : ttlRefusal(m.ttlSeconds) ?? decodeClientData(m.dataType, m.data),
          streamClosed: stream,
        };
      }
      case 'event':
        return { type: 'event', event: m.event, ackId, payload: decodeClientData(m.dataType, m.data) };
      case 'sequenceAck':
        if (typeof m.sequenceId !== 'number' || !Number.isSafeInteger(m.sequenceId)) {
          return { type: 'violation', code: CLOSE_INVALID_PAYLOAD, reason: 'sequenceId must be an integer.' };
        }
        return { type: 'sequenceAck', sequenceId: m.sequenceId };
      case 'ping':
        return { type: 'ping' };
      case 'setGroupState':
      case 'subscribeGroupState':
      case 'unsubscribeGroupState':
        return { type: 'unsupported', name: m.type, ackId };
      default: {
        const reply = previewReply(m);
        if (reply !== undefined) return { type: 'reply', frame: reply };
        return { type: 'violation', code: CLOSE_INVALID_PAYLOAD, reason: `Unknown message type '${String(m.type).slice(0, 64)}'.` };
      }
    }
  },

  connected(connectionId: string, userId: string | undefined, reconnectionToken: string | undefined): Outbound {
    const connected: Json = { type: 'system', event: 'connected', userId: userId ?? null, connectionId };
    if (reconnectionToken) connected.reconnectionToken = reconnectionToken;
    return controlFrame(connected);
  },

  disconnected(reason: string): Outbound {
    return controlFrame({ type: 'system', event: 'disconnected', message: reason });
  },

  ack(ackId: number, error?: AckError): Outbound {
    if (!error) return controlFrame({ type: 'ack', ackId, success: true });
    return controlFrame({ type: 'ack', ackId, success: false, error: { name: error.name, message: error.message } });
  },

  pong(): Outbound {
    return PONG;
  },

  data(message: Message, content: WebPubSubContent): Outbound {
    return jsonFrame(message, content);
  },

  sequencedData(message: Message, content: WebPubSubContent, sequenceId: number): Outbound {
    return reliableFrame(message, content, sequenceId);
  },
};
