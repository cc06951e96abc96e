/**
 * Typed errors of the service protocol codec. Decoders and the stream reader return these and never
 * throw: a bad app server gets one of them, and the endpoint closes that one server connection.
 */

export type ServiceProtocolErrorCode =
  /** A length prefix longer than 5 bytes or above 2^31 - 1 (the SDK's BinaryMessageParser limits). */
  | 'InvalidFraming'
  /** One message is larger than the configured maximum; nothing past the limit was buffered. */
  | 'MessageTooLarge'
  /** The body is not MessagePack (truncated, reserved byte 0xc1, a length header past the body...). */
  | 'InvalidEncoding'
  /** Valid MessagePack, but not the layout of its message type (missing fields, wrong types). */
  | 'InvalidMessage'
  /** The reader already failed; a service connection is not resumed after a protocol error. */
  | 'ReaderFailed';

export class ServiceProtocolError {
  readonly code: ServiceProtocolErrorCode;
  /** What was wrong, for logs and the close reason; never more than a short excerpt of peer input. */
  readonly detail: string;

  constructor(code: ServiceProtocolErrorCode, detail: string) {
    this.code = code;
    this.detail = detail;
  }

  toString(): string {
    return `${this.code}: ${this.detail}`;
  }
}

/** Shortens peer-controlled text before it goes into an error message. */
export function excerpt(text: string, max = 48): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
