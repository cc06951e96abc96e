/**
 * Turns a connection's incoming chunks (WebSocket frames, POST bodies) into hub messages, for the
 * protocol chosen in the handshake. Never throws: the first violation is returned as a typed error,
 * the reader stops, and the session sends `Close` with `error.closeReason()` and closes that peer.
 */
import { HubProtocolError } from './errors.ts';
import { BinaryFramer, TextFramer } from './framing.ts';
import type { Framer } from './framing.ts';
import { decodeJsonMessage } from './json-protocol.ts';
import { decodeMsgpackMessage } from './msgpack-protocol.ts';
import type { DecodedFrame, HubMessage, HubProtocolName } from './types.ts';

/**
 * Default largest client message. The reference records 1 MB as Azure SignalR's REST body limit and no
 * documented limit for client messages (the emulator has none); 1 MB keeps both directions symmetric.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

export interface HubReaderOptions {
  maxMessageBytes?: number | undefined;
  /** Accept Ack (8) and Sequence (9). Only when stateful reconnect was negotiated; Lapis does not offer it. */
  statefulReconnect?: boolean | undefined;
}

export interface ReadResult {
  /** Messages completed by this chunk, in order. Messages before an error are still delivered. */
  frames: DecodedFrame[];
  /** Set once; every later push returns the same error (code `ReaderClosed` is never used here). */
  error?: HubProtocolError | undefined;
}

export class HubMessageReader {
  readonly protocol: HubProtocolName;
  readonly #framer: Framer;
  readonly #max: number;
  readonly #stateful: boolean;
  #failed: HubProtocolError | undefined;

  constructor(protocol: HubProtocolName, options: HubReaderOptions = {}) {
    this.protocol = protocol;
    this.#max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#stateful = options.statefulReconnect === true;
    this.#framer = protocol === 'json' ? new TextFramer(this.#max) : new BinaryFramer(this.#max);
  }

  /** Bytes held for an unfinished message (bounded by `maxMessageBytes`). */
  get pendingBytes(): number {
    return this.#framer.pendingBytes;
  }

  /**
   * Feeds one chunk. A string chunk means a text frame / text body: allowed for JSON, a violation
   * for MessagePack (the official client only ever sends binary, and mixing formats is refused).
   * Takes ownership of a Buffer chunk (frame bodies may be views on it).
   */
  push(chunk: Buffer | string, isText: boolean = typeof chunk === 'string'): ReadResult {
    if (this.#failed) return { frames: [], error: this.#failed };
    if (isText && this.protocol === 'messagepack') {
      return this.#fail([], new HubProtocolError('TextFrameOnBinaryProtocol', 'MessagePack connections accept binary data only.'));
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const { bodies, error } = this.#framer.push(bytes);
    const frames: DecodedFrame[] = [];
    for (const body of bodies) {
      const message = this.protocol === 'json' ? decodeJsonMessage(body) : decodeMsgpackMessage(body, this.#max);
      if (message === null) continue; // unknown message type: ignored, as ASP.NET Core does
      if (message instanceof HubProtocolError) return this.#fail(frames, message);
      const refused = this.#policy(message);
      if (refused) return this.#fail(frames, refused);
      frames.push({ message, body });
    }
    return error ? this.#fail(frames, error) : { frames };
  }

  #policy(message: HubMessage): HubProtocolError | undefined {
    if ((message.type === 8 || message.type === 9) && !this.#stateful) {
      const name = message.type === 8 ? 'Ack' : 'Sequence';
      return new HubProtocolError('StatefulReconnectNotNegotiated', `${name} messages require stateful reconnect, which was not negotiated.`);
    }
    return undefined;
  }

  #fail(frames: DecodedFrame[], error: HubProtocolError): ReadResult {
    this.#failed = error;
    return { frames, error };
  }
}
