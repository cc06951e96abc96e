/**
 * The service connection handshake and pings. The SDK opens the WebSocket, writes HandshakeRequest
 * `[1, 1, connectionType, target, migrationLevel, ext, allowStatefulReconnects]` and waits 15 s for a
 * HandshakeResponse as the first message (nil or "" error = accepted). Pings are flat key/value
 * string lists (`[3]` is the bare keep-alive; `[3, "status", "1"]`, `[3, "echo", x]`...).
 */
import { encodeServiceMessage } from './encode.ts';
import type { HandshakeRequestMessage, PingMessage } from './types.ts';

/** The only service protocol version the SDK speaks. */
export const SERVICE_PROTOCOL_VERSION = 1;

/** Why a handshake request is refused, or undefined when it is acceptable. */
export function handshakeRefusal(request: HandshakeRequestMessage): string | undefined {
  if (request.version !== SERVICE_PROTOCOL_VERSION) {
    return `Service protocol version ${request.version} is not supported; the supported version is ${SERVICE_PROTOCOL_VERSION}.`;
  }
  if (request.connectionType < 0 || request.connectionType > 2) return `Unknown server connection type ${request.connectionType}.`;
  return undefined;
}

/**
 * HandshakeResponse bytes in the SDK writer's form `[2, error, {}, connectionId|nil]`: "" accepts;
 * a non-empty message refuses (the SDK logs it, drops the socket and reconnects with backoff).
 */
export function handshakeResponseBytes(errorMessage = '', connectionId: string | null = null): Uint8Array {
  return encodeServiceMessage({ kind: 'HandshakeResponse', errorMessage, connectionId, ext: {} });
}

/** The bare keep-alive ping, framed: 02 91 03. */
export const PING_BYTES: Uint8Array = encodeServiceMessage({ kind: 'Ping', messages: [] });

/** A ping carrying key/value pairs, e.g. pingWith(['status', '1']) or pingWith(['echo', x]). */
export function pingWith(...pairs: [string, string][]): PingMessage {
  return { kind: 'Ping', messages: pairs.flat() };
}

/** A ping's entries as key/value pairs (an odd trailing key gets a null value). */
export function pingEntries(ping: PingMessage): [string | null, string | null][] {
  const out: [string | null, string | null][] = [];
  for (let i = 0; i < ping.messages.length; i += 2) out.push([ping.messages[i] ?? null, ping.messages[i + 1] ?? null]);
  return out;
}
