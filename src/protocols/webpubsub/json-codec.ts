/**
 * The JSON wire format (`json.webpubsub.azure.v1`, `json.reliable.webpubsub.azure.v1`, reference
 * §4.2–§4.3): text frames only, one JSON object per frame.
 */
import type { Message, WebPubSubContent } from '../../messaging/index.ts';
import { Outbound } from '../../transports/index.ts';
import type { AckError, ClientRequest, PubSubCodec } from './codec.ts';
import { decodeClientData } from './client-data.ts';
import { ttlRefusal } from './message-ttl.ts';
import { controlFrame, jsonFrame, reliableSuffix, sequencedJsonFrame, sequencedJsonPrefix } from './encode.ts';
import { previewReply, streamClosed } from './preview-types.ts';
import { CLOSE_INVALID_PAYLOAD, CLOSE_UNSUPPORTED } from './session.ts';

const CONNECTED_PREFIX = '{"type":"system","event":"connected","userId":';

type Json = Record<string, unknown>;

const PONG = controlFrame({ type: 'pong' });
const ACK_HEAD = Buffer.from('{"type":"sequenceAck","sequenceId":');

/**
 * A reliable client's `sequenceAck` exactly as the SDK writes it (`{"type":"sequenceAck","sequenceId":<n>}`,
 * at most 15 digits, no leading zero), read without decoding the text and parsing JSON: every
 * reliable connection sends these all the time. Anything else (other spacing or field order, extra
 * fields) returns undefined and takes the general path, which gives the same answer.
 */
function plainSequenceAck(data: Buffer): number | undefined {
  const n = data.length;
  const first = ACK_HEAD.length;
  if (n < first + 2 || n > first + 16 || data[n - 1] !== 0x7d) return undefined;
  if (data.compare(ACK_HEAD, 0, first, 0, first) !== 0) return undefined;
  if (data[first] === 0x30 && n - 1 - first > 1) return undefined;
  let v = 0;
  for (let i = first; i < n - 1; i++) {
    const d = data[i]! - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return v;
}

export const jsonCodec: PubSubCodec = {
  format: 'json',
  binaryFrames: false,

  decode(data: Buffer, isBinary: boolean): ClientRequest {
    if (isBinary) return { type: 'violation', code: CLOSE_UNSUPPORTED, reason: 'Binary frames are not supported by JSON subprotocols.' };
    const acked = plainSequenceAck(data);
    if (acked !== undefined) return { type: 'sequenceAck', sequenceId: acked };
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
    // Written out (once per connection set up): the bytes JSON.stringify gives for
    // { type, event, userId, connectionId, reconnectionToken? } in that order.
    let text = `${CONNECTED_PREFIX}${userId === undefined ? 'null' : JSON.stringify(userId)},"connectionId":${JSON.stringify(connectionId)}`;
    if (reconnectionToken) text += `,"reconnectionToken":${JSON.stringify(reconnectionToken)}`;
    return Outbound.of(Buffer.from(`${text}}`, 'utf8'));
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

  reliableBody(message: Message, content: WebPubSubContent): Buffer {
    return reliableSuffix(message, content);
  },

  sequenced: sequencedJsonFrame,
  sequencedPrefix: sequencedJsonPrefix,
};
