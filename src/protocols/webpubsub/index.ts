export { PubSubSession, MAX_GROUPS_PER_CONNECTION } from './pubsub-session.ts';
// The name of PubSubSession when it served JSON only (kept for existing imports).
export { PubSubSession as JsonSession } from './pubsub-session.ts';
export type { PubSubCodec, ClientRequest } from './codec.ts';
export { jsonCodec } from './json-codec.ts';
export { protobufCodec } from './protobuf/index.ts';
export { SimpleSession, PROTOCOL_SIMPLE } from './simple-session.ts';
export type { SimpleMode } from './simple-session.ts';
export { ClientSession, truncateReason } from './session.ts';
export type { SessionHost, SessionInit } from './session.ts';
export { negotiate, parseProtocolHeader } from './negotiate.ts';
export type { Negotiation } from './negotiate.ts';
export {
  PROTOCOL_JSON, PROTOCOL_JSON_RELIABLE, PROTOCOL_PROTOBUF, PROTOCOL_PROTOBUF_RELIABLE, parseSubprotocol, subprotocolName,
} from './subprotocols.ts';
export type { PubSubFormat } from './subprotocols.ts';
export { isValidHub, isValidGroup, isValidEventName, MAX_GROUP_NAME } from './names.ts';
export { applyRoles, compileGroupPattern } from './roles.ts';
export { ConnectRejectedError } from './hooks.ts';
export type { ClientEventHooks, ClientEventContext, ConnectRequest, ConnectResponse } from './hooks.ts';
export type { ReliableMirror, RestoredReliable } from './reliable-state.ts';
export type { ReliableState } from './reliable-state.ts';
export { hashReconnectionToken } from './reliable-state.ts';
export type { BufferedFrame } from './reliable-buffer.ts';
