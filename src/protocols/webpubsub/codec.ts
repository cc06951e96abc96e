/**
 * The seam between a PubSub session (protocol state: acks, sequence ids, recovery) and its wire
 * format (JSON text frames or protobuf binary frames). A codec turns client frames into
 * format-neutral requests and writes every service message; it keeps no per-connection state.
 */
import type { Message, Payload, WebPubSubContent } from '../../messaging/index.ts';
import type { Outbound, OwnPrefix } from '../../transports/index.ts';

/** What the client asked for, already validated for shape (names and permissions are checked later). */
export type ClientRequest =
  | { type: 'joinGroup' | 'leaveGroup'; group: unknown; ackId: number | undefined }
  | {
      type: 'sendToGroup';
      group: unknown;
      ackId: number | undefined;
      noEcho: boolean;
      /** The payload, or why it is invalid (answered with a BadRequest ack). */
      payload: Payload | string;
      /** Set when the client opened a stream (not supported): sent before the failed ack. */
      streamClosed?: Outbound | undefined;
    }
  | { type: 'event'; event: unknown; ackId: number | undefined; payload: Payload | string }
  | { type: 'sequenceAck'; sequenceId: number }
  | { type: 'ping' }
  /** A known message type this server does not implement, answered with a BadRequest ack. */
  | { type: 'unsupported'; name: string; ackId: number | undefined }
  /** A preview message answered directly: with this frame, or nothing (null). */
  | { type: 'reply'; frame: Outbound | null }
  /** The frame breaks the protocol: the connection is closed with this code. */
  | { type: 'violation'; code: number; reason: string };

export interface AckError {
  name: string;
  message: string;
}

export interface PubSubCodec {
  /** `json` or `protobuf` (the subprotocol name adds `.reliable` or not). */
  readonly format: 'json' | 'protobuf';
  /** Whether service frames are binary WebSocket frames (a recovery store keeps this). */
  readonly binaryFrames: boolean;
  decode(data: Buffer, isBinary: boolean): ClientRequest;
  connected(connectionId: string, userId: string | undefined, reconnectionToken: string | undefined): Outbound;
  disconnected(reason: string): Outbound;
  ack(ackId: number, error?: AckError): Outbound;
  pong(): Outbound;
  /** A data message for a plain session: encoded once per message and shared by every socket. */
  data(message: Message, content: WebPubSubContent): Outbound;
  /** A reliable data message's part shared by every socket (encoded once per message). */
  reliableBody(message: Message, content: WebPubSubContent): Buffer;
  /**
   * A reliable socket's frame: its sequence id in front of the shared body (`reliableBody`), also
   * used to rebuild a buffered frame for a replay. Called unbound (no `this`).
   */
  sequenced(body: Buffer, sequenceId: number): Outbound;
  /** The id bytes of `sequenced(body, id)` in front of the body, for a transport to build the frame itself. */
  readonly sequencedPrefix: OwnPrefix;
}
