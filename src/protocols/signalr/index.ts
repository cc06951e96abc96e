/**
 * SignalR client-facing protocol layer: handshake, JSON and MessagePack hub protocols, encode-once
 * server messages, negotiate responses. Transport-neutral: it reads and writes byte chunks; the
 * WebSocket / Server-Sent Events / long-polling transports and the sessions sit on top.
 */
export type {
  HubProtocolName,
  TransferFormat,
  HubHeaders,
  HubMessage,
  InvocationMessage,
  StreamItemMessage,
  CompletionMessage,
  StreamInvocationMessage,
  CancelInvocationMessage,
  PingMessage,
  CloseMessage,
  AckMessage,
  SequenceMessage,
  DecodedFrame,
} from './types.ts';
export { MessageType, TRANSFER_FORMAT, CONTENT_TYPE } from './types.ts';
export { HubProtocolError } from './errors.ts';
export type { HubProtocolErrorCode } from './errors.ts';
export {
  HandshakeReader,
  parseHandshakeRequest,
  selectProtocol,
  handshakeResponse,
  handshakeFailureText,
  HANDSHAKE_TIMEOUT_TEXT,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_HANDSHAKE_BYTES,
  MAX_PROTOCOL_VERSION,
} from './handshake.ts';
export type { HandshakeRequest, HandshakeResult, ProtocolSelection, SelectOptions } from './handshake.ts';
export { HubMessageReader, DEFAULT_MAX_MESSAGE_BYTES } from './reader.ts';
export type { HubReaderOptions, ReadResult } from './reader.ts';
export { SignalRMessage, encodeHubMessage, closeMessage, PING } from './message.ts';
export { parsePayloadMessage, parseBinaryPayload, MAX_ARGUMENT_DEPTH } from './payload.ts';
export type { PayloadResult } from './payload.ts';
export { decodeJsonMessage, encodeJsonMessage } from './json-protocol.ts';
export { decodeMsgpackMessage, encodeMsgpackMessage } from './msgpack-protocol.ts';
export {
  availableTransports,
  parseNegotiateVersion,
  newConnectionIds,
  negotiateResponse,
  negotiateError,
  redirectResponse,
  clientUrl,
  TRANSPORT_BITS,
} from './negotiate.ts';
export type { TransportName, AvailableTransport, NegotiateVersion, ConnectionIds, NegotiateResponse, RedirectResponse } from './negotiate.ts';
export { KEEP_ALIVE_INTERVAL_MS, CLIENT_TIMEOUT_MS } from './timing.ts';
export { HubInbound } from './inbound.ts';
export type { InboundOptions, InboundEvent } from './inbound.ts';
export { SignalRSession } from './session.ts';
export type { SignalRSessionHost, SignalRSessionOptions } from './session.ts';
export { KeepAliveClock } from './keep-alive.ts';
