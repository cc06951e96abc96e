/**
 * Azure SignalR service protocol codec (the app-server side of default mode): framing, handshake,
 * every message of Microsoft.Azure.SignalR's ServiceProtocol in both directions. Transport-neutral:
 * it turns byte chunks into messages and messages into bytes; the /server/ endpoint sits on top.
 */
export { ServiceProtocolError } from './errors.ts';
export type { ServiceProtocolErrorCode } from './errors.ts';
export {
  SERVICE_MESSAGE_TYPES,
  SERVICE_MESSAGE_NAMES,
  ACK_STATUS,
  SERVER_CONNECTION_TYPE,
  DATA_MESSAGE_TYPE,
  SERVICE_EVENT_OBJECT_TYPE,
  SERVICE_EVENT_KIND,
  FLOW_CONTROL_CONNECTION_TYPE,
  FLOW_CONTROL_OPERATION,
} from './types.ts';
export type * from './types.ts';
export { EXTENSION_KEYS } from './extensions.ts';
export { payloadFor } from './fields.ts';
export { decodeServiceMessageBody } from './decode.ts';
export type { DecodeResult } from './decode.ts';
export { encodeServiceMessage, encodeServiceMessageBody, encodeServiceMessages } from './encode.ts';
export { ServiceMessageReader, DEFAULT_MAX_SERVICE_MESSAGE_BYTES, varIntPrefix, readVarIntPrefix, frame } from './framing.ts';
export type { ServiceReaderOptions, ServiceReadResult } from './framing.ts';
export { SERVICE_PROTOCOL_VERSION, handshakeRefusal, handshakeResponseBytes, PING_BYTES, pingWith, pingEntries } from './handshake.ts';
export { ackIdOf, isAckable, ackMessage, openConnectionMessage } from './acks.ts';
export type { OpenConnectionArgs } from './acks.ts';
export { groupMemberQueryResponse } from './payloads.ts';
export type { GroupMemberEntry } from './payloads.ts';
