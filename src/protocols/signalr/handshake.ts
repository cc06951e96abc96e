/**
 * The hub protocol handshake. The client's first message is always JSON text ending with 0x1E:
 * `{"protocol":"json"|"messagepack","version":1}`. It may arrive split over several chunks and may
 * share its chunk with the first hub messages (returned as `rest`). The reply is always JSON text
 * too, even on MessagePack connections: `{}` + 0x1E, or `{"error":"…"}` + 0x1E followed by a close.
 */
import { excerpt, HubProtocolError } from './errors.ts';
import { RECORD_SEPARATOR } from './framing.ts';
import { isPlainObject } from './shape.ts';
import { TRANSFER_FORMAT } from './types.ts';
import type { HubProtocolName, TransferFormat } from './types.ts';

/** A handshake request is a few dozen bytes; anything near this is not a SignalR client. */
export const DEFAULT_MAX_HANDSHAKE_BYTES = 4096;
/** ASP.NET Core and Azure SignalR wait 15 s for the handshake (`asrs.s.cht` may change it, 1..30 s). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 15_000;
/** Highest hub protocol version accepted; version 2 only adds stateful-reconnect messages. */
export const MAX_PROTOCOL_VERSION = 2;

export interface HandshakeRequest {
  protocol: string;
  version: number;
  /** The request as received, including its 0x1E; default mode forwards it to the app server verbatim. */
  raw: Buffer;
}

export type HandshakeResult =
  | { status: 'incomplete' }
  /** `rest` holds whatever followed the request in the same chunk (the first hub messages). */
  | { status: 'complete'; request: HandshakeRequest; rest: Buffer }
  | { status: 'failed'; error: HubProtocolError };

/** Accumulates chunks until the 0x1E that ends the handshake request, within a size limit. */
export class HandshakeReader {
  readonly #max: number;
  #pending: Buffer[] = [];
  #length = 0;
  #done = false;

  constructor(maxBytes: number = DEFAULT_MAX_HANDSHAKE_BYTES) {
    this.#max = maxBytes;
  }

  /** Takes ownership of `chunk`. After `complete` or `failed`, further pushes fail with `ReaderClosed`. */
  push(chunk: Buffer | string): HandshakeResult {
    if (this.#done) return { status: 'failed', error: new HubProtocolError('ReaderClosed', 'The handshake has already ended.') };
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const end = bytes.indexOf(RECORD_SEPARATOR);
    const needed = end === -1 ? bytes.length : end + 1;
    if (this.#length + needed > this.#max) {
      return this.#fail(new HubProtocolError('HandshakeTooLarge', `The handshake request exceeds ${this.#max} bytes.`));
    }
    if (end === -1) {
      this.#pending.push(bytes);
      this.#length += bytes.length;
      return { status: 'incomplete' };
    }
    this.#pending.push(bytes.subarray(0, end + 1));
    const raw = Buffer.concat(this.#pending, this.#length + end + 1);
    this.#pending = [];
    this.#done = true;
    const request = parseHandshakeRequest(raw);
    if (request instanceof HubProtocolError) return { status: 'failed', error: request };
    return { status: 'complete', request, rest: bytes.subarray(end + 1) };
  }

  #fail(error: HubProtocolError): HandshakeResult {
    this.#pending = [];
    this.#done = true;
    return { status: 'failed', error };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses one complete request (with its trailing 0x1E). */
export function parseHandshakeRequest(raw: Buffer): HandshakeRequest | HubProtocolError {
  let value: unknown;
  let text = '';
  try {
    text = utf8.decode(raw.subarray(0, raw.length - 1));
    value = JSON.parse(text);
  } catch {
    return new HubProtocolError('InvalidHandshake', `The handshake request is not JSON: '${excerpt(text)}'.`);
  }
  if (!isPlainObject(value)) return new HubProtocolError('InvalidHandshake', 'The handshake request must be a JSON object.');
  const { protocol, version } = value;
  if (protocol === undefined) return new HubProtocolError('InvalidHandshake', "Missing required property 'protocol'.");
  if (typeof protocol !== 'string') return new HubProtocolError('InvalidHandshake', "Expected 'protocol' to be of type String.");
  if (version === undefined) return new HubProtocolError('InvalidHandshake', "Missing required property 'version'.");
  if (typeof version !== 'number' || !Number.isSafeInteger(version)) {
    return new HubProtocolError('InvalidHandshake', "Expected 'version' to be of type Integer.");
  }
  return { protocol, version, raw };
}

export type ProtocolSelection =
  | { ok: true; protocol: HubProtocolName; transferFormat: TransferFormat }
  /** `error` is the text for the handshake response; send it with `handshakeResponse(error)` and close. */
  | { ok: false; error: string };

export interface SelectOptions {
  /** Formats the transport can carry: WebSockets and long polling carry both, Server-Sent Events only Text. */
  transferFormats: readonly TransferFormat[];
  /** Protocols this hub accepts; default both. */
  protocols?: readonly HubProtocolName[] | undefined;
}

/**
 * Decides the hub protocol for a parsed request. Texts: the unknown-protocol message is the one the
 * reference records for Azure SignalR; the version and transfer-format messages are ASP.NET Core's.
 */
export function selectProtocol(request: Pick<HandshakeRequest, 'protocol' | 'version'>, options: SelectOptions): ProtocolSelection {
  const name = request.protocol.toLowerCase();
  const allowed = options.protocols ?? (['json', 'messagepack'] as const);
  const protocol = allowed.find((p) => p === name);
  if (protocol === undefined) return { ok: false, error: `Requested protocol '${excerpt(request.protocol)}' is not available.` };
  if (request.version > MAX_PROTOCOL_VERSION) {
    return { ok: false, error: `The server does not support version ${request.version} of the '${excerpt(request.protocol)}' protocol.` };
  }
  const transferFormat = TRANSFER_FORMAT[protocol];
  if (!options.transferFormats.includes(transferFormat)) {
    return {
      ok: false,
      error: `Cannot use the '${protocol}' protocol on the current transport. The transport does not support '${transferFormat}' transfer format.`,
    };
  }
  return { ok: true, protocol, transferFormat };
}

/** Text of the handshake response for a request that could not be read at all (ASP.NET's wording + detail). */
export function handshakeFailureText(error: HubProtocolError): string {
  return `An unexpected error occurred during connection handshake. InvalidDataException: ${error.detail}`;
}

/** What ASP.NET Core answers when the handshake does not arrive in time. */
export const HANDSHAKE_TIMEOUT_TEXT = 'Handshake was canceled.';

const HANDSHAKE_OK = Buffer.from([0x7b, 0x7d, RECORD_SEPARATOR]);

/**
 * The handshake response. Non-ASCII characters are \u-escaped because the JS client decodes a
 * binary-frame handshake response one byte per character.
 */
export function handshakeResponse(error?: string): Buffer {
  if (error === undefined) return HANDSHAKE_OK;
  const json = JSON.stringify({ error }).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return Buffer.from(`${json}\u001e`, 'ascii');
}
