/**
 * SignalR hub protocol messages as the service sees them, independent of the wire format.
 * Shapes follow the ASP.NET Core hub protocol (HubProtocol.md); field names match the JSON form.
 */

/** Hub protocol names as they appear in the client's handshake request. */
export type HubProtocolName = 'json' | 'messagepack';

/** How a transport must carry a protocol's bytes: JSON is text, MessagePack is binary. */
export type TransferFormat = 'Text' | 'Binary';

export const TRANSFER_FORMAT: Readonly<Record<HubProtocolName, TransferFormat>> = {
  json: 'Text',
  messagepack: 'Binary',
};

/** Content type of one unframed message body of each protocol (upstream `messages` requests use it). */
export const CONTENT_TYPE: Readonly<Record<HubProtocolName, string>> = {
  json: 'application/json',
  messagepack: 'application/x-msgpack',
};

/** Message type numbers of the hub protocol. */
export const MessageType = {
  Invocation: 1,
  StreamItem: 2,
  Completion: 3,
  StreamInvocation: 4,
  CancelInvocation: 5,
  Ping: 6,
  Close: 7,
  Ack: 8,
  Sequence: 9,
} as const;

export type HubHeaders = Record<string, string>;

export interface InvocationMessage {
  type: 1;
  headers?: HubHeaders | undefined;
  /** Absent for fire-and-forget invocations; present when the caller waits for a Completion. */
  invocationId?: string | undefined;
  target: string;
  arguments: unknown[];
  streamIds?: string[] | undefined;
}

export interface StreamItemMessage {
  type: 2;
  headers?: HubHeaders | undefined;
  invocationId: string;
  item: unknown;
}

/** `error` and `result` are exclusive; `void` completions carry neither. */
export type CompletionMessage = {
  type: 3;
  headers?: HubHeaders | undefined;
  invocationId: string;
} & (
  | { resultKind: 'void' }
  | { resultKind: 'result'; result: unknown }
  | { resultKind: 'error'; error: string }
);

export interface StreamInvocationMessage {
  type: 4;
  headers?: HubHeaders | undefined;
  invocationId: string;
  target: string;
  arguments: unknown[];
  streamIds?: string[] | undefined;
}

export interface CancelInvocationMessage {
  type: 5;
  headers?: HubHeaders | undefined;
  invocationId: string;
}

export interface PingMessage {
  type: 6;
}

export interface CloseMessage {
  type: 7;
  error?: string | undefined;
  allowReconnect?: boolean | undefined;
}

/** Stateful-reconnect messages: decoded so the reader can refuse them by name (Lapis does not offer stateful reconnect). */
export interface AckMessage {
  type: 8;
  sequenceId: number;
}

export interface SequenceMessage {
  type: 9;
  sequenceId: number;
}

export type HubMessage =
  | InvocationMessage
  | StreamItemMessage
  | CompletionMessage
  | StreamInvocationMessage
  | CancelInvocationMessage
  | PingMessage
  | CloseMessage
  | AckMessage
  | SequenceMessage;

/**
 * One decoded client message plus its body bytes without framing (no 0x1E, no length prefix):
 * upstream `messages` requests carry exactly these bytes, so they are kept rather than re-encoded.
 */
export interface DecodedFrame {
  message: HubMessage;
  body: Buffer;
}
