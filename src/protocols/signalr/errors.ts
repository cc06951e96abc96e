/**
 * Typed protocol errors. Decoders return these instead of throwing; the session turns one into a
 * Close message (see `closeReason`) and closes that one peer.
 */

export type HubProtocolErrorCode =
  /** The handshake request is larger than the handshake limit or never ends with 0x1E within it. */
  | 'HandshakeTooLarge'
  /** The handshake request is not `{"protocol":string,"version":integer}`. */
  | 'InvalidHandshake'
  /** A single hub message is larger than the configured maximum. */
  | 'MessageTooLarge'
  /** A MessagePack length prefix is malformed (more than 5 bytes, or over 2 GB). */
  | 'InvalidFraming'
  /** JSON protocol bytes that are not UTF-8. */
  | 'InvalidUtf8'
  /** A JSON message that is not JSON, or a MessagePack body that is not MessagePack. */
  | 'InvalidEncoding'
  /** Well-formed JSON / MessagePack that does not have the shape of its hub message type. */
  | 'InvalidMessage'
  /** A text frame on a MessagePack connection (MessagePack is binary only). */
  | 'TextFrameOnBinaryProtocol'
  /** Ack / Sequence without stateful reconnect having been negotiated. */
  | 'StatefulReconnectNotNegotiated'
  /** The connection already failed; nothing more is read from it. */
  | 'ReaderClosed';

export class HubProtocolError {
  readonly code: HubProtocolErrorCode;
  /** What was wrong, for logs and for the Close message. Never contains more than a short excerpt of peer input. */
  readonly detail: string;

  constructor(code: HubProtocolErrorCode, detail: string) {
    this.code = code;
    this.detail = detail;
  }

  /**
   * The `error` of the Close message sent before closing the peer. ASP.NET Core SignalR sends
   * "Connection closed with an error." and, with detailed errors, appends the exception; Lapis always
   * appends the detail (as InvalidDataException, the type ASP.NET uses for protocol violations).
   */
  closeReason(): string {
    return `Connection closed with an error. InvalidDataException: ${this.detail}`;
  }

  toString(): string {
    return `${this.code}: ${this.detail}`;
  }
}

/** Shortens peer-controlled text before it goes into an error message. */
export function excerpt(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
