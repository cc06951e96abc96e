/**
 * Protocol-neutral shapes of the messaging core. Nothing here knows about a wire format:
 * each wire protocol (Web PubSub's, SignalR's) adapts its clients to these types.
 */

/** How the payload bytes are to be interpreted; every wire format can represent these three. */
export type DataKind = 'text' | 'json' | 'binary';

/** A message body. `data` holds UTF-8 text for `text`, UTF-8 JSON text for `json`, raw bytes for `binary`. */
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

/** A message as delivered to local connections. */
export interface Message {
  readonly payload: Payload;
  /** `server` = sent through the REST API / application; `group` = published to a group by a client. */
  readonly from: 'server' | 'group';
  readonly group?: string | undefined;
  readonly fromUserId?: string | undefined;
  /**
   * Encoded frames per wire format, filled lazily by the first connection of that format.
   * This is what makes fan-out "encode once per (message, wire format)".
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
