/**
 * Server → client messages. A message fanned out to many connections (REST broadcast, group, user
 * send) is a `SignalRMessage`: it is encoded at most once per hub protocol, lazily, by the first
 * recipient of that protocol, and every other recipient writes the same bytes. The bytes are the
 * hub-protocol message with its hub framing (0x1E / VarInt) and without transport framing.
 */
import { Encoder } from '@msgpack/msgpack';
import { RECORD_SEPARATOR } from './framing.ts';
import { encodeJsonMessage, JSON_PING } from './json-protocol.ts';
import { encodeMsgpackMessage, frameMsgpack, MSGPACK_PING } from './msgpack-protocol.ts';
import type { HubMessage, HubProtocolName } from './types.ts';
import { Outbound } from '../../transports/index.ts';
import type { EncodedContent, InvocationContent, Message } from '../../messaging/index.ts';

// A separate encoder from the protocol module's: SignalRMessage encodings may run while that one is busy.
const argumentsEncoder = new Encoder({ maxDepth: 128 });
const CACHE_KEY = 'signalr';

export class SignalRMessage {
  /** Invocation target; undefined for pre-encoded messages. */
  readonly target: string | undefined;
  /** Invocation arguments as JSON values (as parsed from a REST body); undefined for pre-encoded messages. */
  readonly arguments: readonly unknown[] | undefined;
  #json: Buffer | undefined;
  #msgpack: Buffer | undefined;
  #jsonOut: Outbound | undefined;
  #msgpackOut: Outbound | undefined;
  /** False when only some protocols have bytes (pre-encoded); recipients of a missing one are skipped. */
  readonly #complete: boolean;

  private constructor(target: string | undefined, args: readonly unknown[] | undefined, json?: Buffer, msgpack?: Buffer) {
    this.target = target;
    this.arguments = args;
    this.#json = json;
    this.#msgpack = msgpack;
    this.#complete = target !== undefined;
  }

  /**
   * A fire-and-forget Invocation `{target, arguments}` (no invocationId, as the service sends REST
   * messages). `args` must be JSON values of nesting depth ≤ 64 (what `parsePayloadMessage` accepts);
   * they are not copied, so the caller must not mutate them afterwards.
   */
  static invocation(target: string, args: readonly unknown[]): SignalRMessage {
    return new SignalRMessage(target, args);
  }

  /**
   * Messages whose bytes were produced elsewhere: the REST API's binary payload (one framed
   * Invocation per protocol, from the Management SDK) or default-mode app servers. Bytes must
   * already carry hub framing; they are forwarded verbatim.
   */
  static preEncoded(bytes: Partial<Record<HubProtocolName, Buffer>>): SignalRMessage {
    return new SignalRMessage(undefined, undefined, bytes.json, bytes.messagepack);
  }

  /** What the messaging core carries (and a backplane ships): the invocation, or the framed bytes. */
  toContent(): InvocationContent | EncodedContent {
    if (this.#complete) return { kind: 'invocation', target: this.target!, arguments: this.arguments! };
    const bytes: Partial<Record<HubProtocolName, Buffer>> = {};
    if (this.#json) bytes.json = this.#json;
    if (this.#msgpack) bytes.messagepack = this.#msgpack;
    return { kind: 'encoded', bytes };
  }

  /**
   * The SignalR view of a core message, made by its first SignalR recipient on this node and cached
   * on the message, so every recipient shares its encodings. Undefined for Web PubSub content.
   */
  static of(message: Message): SignalRMessage | undefined {
    const cached = message.encoded.get(CACHE_KEY) as SignalRMessage | undefined;
    if (cached) return cached;
    const c = message.content;
    let m: SignalRMessage;
    if (c.kind === 'invocation') m = new SignalRMessage(c.target, c.arguments);
    else if (c.kind === 'encoded') m = new SignalRMessage(undefined, undefined, c.bytes['json'], c.bytes['messagepack']);
    else return undefined;
    message.encoded.set(CACHE_KEY, m);
    return m;
  }

  /** The framed bytes for one protocol, encoded on first use; `undefined` only for a pre-encoded message lacking that protocol. */
  encoded(protocol: HubProtocolName): Buffer | undefined {
    if (protocol === 'json') {
      if (this.#json === undefined && this.#complete) this.#json = this.#encodeJson();
      return this.#json;
    }
    if (this.#msgpack === undefined && this.#complete) this.#msgpack = this.#encodeMsgpack();
    return this.#msgpack;
  }

  /**
   * The bytes for one protocol as a transport message, built once per protocol and shared by every
   * recipient, so a transport's framing (a WebSocket header) is built once too.
   */
  outbound(protocol: HubProtocolName): Outbound | undefined {
    const cached = protocol === 'json' ? this.#jsonOut : this.#msgpackOut;
    if (cached) return cached;
    const bytes = this.encoded(protocol);
    if (bytes === undefined) return undefined;
    const out = Outbound.of(bytes, protocol === 'messagepack');
    if (protocol === 'json') this.#jsonOut = out;
    else this.#msgpackOut = out;
    return out;
  }

  /** Whether `protocol` has been encoded already (for tests and metrics). */
  isEncoded(protocol: HubProtocolName): boolean {
    return (protocol === 'json' ? this.#json : this.#msgpack) !== undefined;
  }

  #encodeJson(): Buffer {
    const text = `{"type":1,"target":${JSON.stringify(this.target)},"arguments":${JSON.stringify(this.arguments)}}`;
    const out = Buffer.allocUnsafe(Buffer.byteLength(text, 'utf8') + 1);
    const n = out.write(text, 0, 'utf8');
    out[n] = RECORD_SEPARATOR;
    return out;
  }

  /** This is the service-side JSON → MessagePack conversion, done once per message. */
  #encodeMsgpack(): Buffer {
    return frameMsgpack(argumentsEncoder.encodeSharedRef([1, {}, null, this.target, this.arguments]));
  }
}

/** Encodes a per-connection message (Completion, Close, StreamItem…) in one protocol, with hub framing. */
export function encodeHubMessage(protocol: HubProtocolName, message: HubMessage): Buffer {
  return protocol === 'json' ? encodeJsonMessage(message) : encodeMsgpackMessage(message);
}

/** Keep-alive Ping bytes per protocol; shared, do not mutate. */
export const PING: Readonly<Record<HubProtocolName, Buffer>> = { json: JSON_PING, messagepack: MSGPACK_PING };

/**
 * The Close a server sends before closing the transport. `error` surfaces in the client as
 * "Server returned an error on close: <error>"; `allowReconnect` lets an auto-reconnecting client retry.
 */
export function closeMessage(protocol: HubProtocolName, error?: string, allowReconnect = false): Buffer {
  return encodeHubMessage(protocol, { type: 7, error, allowReconnect });
}
