/**
 * Everything a session needs to read one client connection, in one object: the handshake first
 * (with the reply to send), then hub messages in the chosen protocol, and for any violation the
 * Close bytes to send before closing that peer. Transport-neutral: feed it frames or POST bodies.
 * Timers (handshake timeout, keep-alive, client timeout) stay with the session.
 */
import { HubProtocolError } from './errors.ts';
import { DEFAULT_MAX_HANDSHAKE_BYTES, HandshakeReader, handshakeFailureText, handshakeResponse, selectProtocol } from './handshake.ts';
import type { HandshakeRequest } from './handshake.ts';
import { closeMessage } from './message.ts';
import { HubMessageReader } from './reader.ts';
import type { DecodedFrame, HubProtocolName, TransferFormat } from './types.ts';

export interface InboundOptions {
  /** What the transport carries: ['Text','Binary'] for WebSockets and long polling, ['Text'] for Server-Sent Events. */
  transferFormats: readonly TransferFormat[];
  protocols?: readonly HubProtocolName[] | undefined;
  maxMessageBytes?: number | undefined;
  maxHandshakeBytes?: number | undefined;
}

export type InboundEvent =
  /** Handshake accepted: send `reply` (`{}` + 0x1E) before anything else, then deliver messages. */
  | { kind: 'handshake'; protocol: HubProtocolName; request: HandshakeRequest; reply: Buffer }
  /** Handshake refused: send `reply` (`{"error":…}` + 0x1E), then close the transport. */
  | { kind: 'handshake-failed'; error: string; reply: Buffer }
  | { kind: 'messages'; frames: DecodedFrame[] }
  /** Protocol violation after the handshake: send `close` (a hub Close message), then close the transport. */
  | { kind: 'violation'; error: HubProtocolError; close: Buffer };

export class HubInbound {
  readonly #options: InboundOptions;
  readonly #handshake: HandshakeReader;
  #reader: HubMessageReader | undefined;
  #ended = false;

  constructor(options: InboundOptions) {
    this.#options = options;
    this.#handshake = new HandshakeReader(options.maxHandshakeBytes ?? DEFAULT_MAX_HANDSHAKE_BYTES);
  }

  /** The protocol once the handshake succeeded. */
  get protocol(): HubProtocolName | undefined {
    return this.#reader?.protocol;
  }

  /** True after a handshake failure or a violation: nothing more will be read. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Feeds one chunk; returns what happened, in order. `isText` marks a WebSocket text frame: the
   * handshake may arrive in one (the JS client sends it as text even for MessagePack), later
   * MessagePack data may not. Takes ownership of a Buffer chunk.
   */
  push(chunk: Buffer | string, isText: boolean = typeof chunk === 'string'): InboundEvent[] {
    if (this.#ended) return [];
    if (this.#reader) return this.#read(chunk, isText);
    const r = this.#handshake.push(chunk);
    if (r.status === 'incomplete') return [];
    if (r.status === 'failed') return [this.#refuse(handshakeFailureText(r.error))];
    const selected = selectProtocol(r.request, this.#options);
    if (!selected.ok) return [this.#refuse(selected.error)];
    this.#reader = new HubMessageReader(selected.protocol, { maxMessageBytes: this.#options.maxMessageBytes });
    const events: InboundEvent[] = [{ kind: 'handshake', protocol: selected.protocol, request: r.request, reply: handshakeResponse() }];
    // Bytes after the handshake in the same chunk belong to the hub protocol, whatever the frame type was.
    if (r.rest.length > 0) events.push(...this.#read(r.rest, false));
    return events;
  }

  #read(chunk: Buffer | string, isText: boolean): InboundEvent[] {
    const reader = this.#reader!;
    const { frames, error } = reader.push(chunk, isText);
    const events: InboundEvent[] = frames.length > 0 ? [{ kind: 'messages', frames }] : [];
    if (error) {
      this.#ended = true;
      events.push({ kind: 'violation', error, close: closeMessage(reader.protocol, error.closeReason()) });
    }
    return events;
  }

  #refuse(error: string): InboundEvent {
    this.#ended = true;
    return { kind: 'handshake-failed', error, reply: handshakeResponse(error) };
  }
}
