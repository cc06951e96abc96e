/**
 * Transports: how a session's protocol messages reach a client and how the client's bytes reach
 * the session — WebSocket, Server-Sent Events, long polling — behind one interface.
 */
export type { Transport, TransportEnd, TransportEvents, TransportName, TransportOptions } from './types.ts';
export { Outbound, type OwnBytesWriter, type OwnPrefix } from './outbound.ts';
export { WebSocketTransport } from './websocket.ts';
export { SseTransport } from './sse.ts';
export { LongPollingTransport, type LongPollingOptions, type PollOutcome } from './long-polling.ts';
export { TransportDispatcher, type DispatchedConnection, type DispatcherOptions, type ConnectionFactory, type Reply } from './dispatcher.ts';
export { frameHeader, OPCODE_BINARY, OPCODE_TEXT } from './ws-frame.ts';
