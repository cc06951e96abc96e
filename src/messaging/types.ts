/**
 * Protocol-neutral shapes of the messaging core. Nothing here knows about a wire format:
 * each wire protocol (Web PubSub's, SignalR's) adapts its clients to these types.
 */

/**
 * How the payload bytes are to be interpreted. `protobuf` (from Web PubSub protobuf clients) is a
 * serialized `google.protobuf.Any`: protobuf clients get it as such, every other format as binary.
 */
export type DataKind = 'text' | 'json' | 'binary' | 'protobuf';

/**
 * A message body. `data` holds UTF-8 text for `text`, UTF-8 JSON text for `json`, raw bytes for
 * `binary`, the encoded `Any` message for `protobuf`.
 */
export interface Payload {
  kind: DataKind;
  data: Buffer;
}

/** Who a message is addressed to, resolved on every node against its local connections. */
export type Target =
  | { scope: 'hub' }
  | { scope: 'group'; group: string }
  | { scope: 'user'; userId: string }
  | { scope: 'connection'; connectionId: string };

/**
 * What a Web PubSub sender sent: a payload, from the REST API (`server`) or published to a group
 * by a client or a group send (`group`).
 */
export interface WebPubSubContent {
  readonly kind: 'webpubsub';
  readonly payload: Payload;
  readonly from: 'server' | 'group';
  readonly group?: string | undefined;
  readonly fromUserId?: string | undefined;
}

/** What a SignalR sender sent: an invocation of a client method with JSON arguments. */
export interface InvocationContent {
  readonly kind: 'invocation';
  readonly target: string;
  readonly arguments: readonly unknown[];
}

/**
 * A SignalR invocation already framed per hub protocol elsewhere (the REST API's binary body, an
 * app server's message): forwarded verbatim; recipients of a protocol without bytes get nothing.
 */
export interface EncodedContent {
  readonly kind: 'encoded';
  readonly bytes: Readonly<Partial<Record<string, Buffer>>>;
}

/** What was sent, in the sender's own terms. Plain data, so a backplane can ship it. */
export type Content = WebPubSubContent | InvocationContent | EncodedContent;

/** A message as delivered to local connections. */
export interface Message {
  readonly content: Content;
  /**
   * Encodings per wire format, made lazily by the first connection of that format and reused by
   * every other one: what makes fan-out "encode once per (message, wire format)".
   */
  readonly encoded: Map<string, unknown>;
}

/** Why a connection ends; transports map it to their own close codes. */
export interface CloseRequest {
  /** Human-readable reason that is sent to the client. */
  reason: string;
  /** `service`: closed by the REST API or policy, the client must not resume the session. */
  kind: 'service' | 'shutdown' | 'policy' | 'slow';
}

/**
 * The transport side of a connection (a WebSocket session of some wire protocol).
 * The core calls these synchronously; implementations must never throw and must not block.
 */
export interface ConnectionSink {
  /** Wire protocol label, exposed to filters (`protocol eq 'json.webpubsub.azure.v1'`). */
  readonly protocol: string;
  deliver(message: Message): void;
  close(request: CloseRequest): void;
}
