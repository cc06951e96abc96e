/**
 * Subprotocol selection (reference §3.4). Reliable JSON is preferred over JSON (as the emulator).
 * Protobuf protocols are real Azure protocols this server does not implement: a client offering
 * only those is refused at the handshake rather than accepted and then failing on the first frame.
 * Anything else (or nothing) is a plain WebSocket client, and no subprotocol is echoed.
 */
import { PROTOCOL_JSON, PROTOCOL_JSON_RELIABLE } from './json-session.ts';

export const PROTOCOL_PROTOBUF = 'protobuf.webpubsub.azure.v1';
export const PROTOCOL_PROTOBUF_RELIABLE = 'protobuf.reliable.webpubsub.azure.v1';

export type Negotiation =
  | { kind: 'json'; protocol: string; reliable: boolean }
  | { kind: 'simple' }
  | { kind: 'unsupported'; protocol: string };

export function parseProtocolHeader(header: string | undefined): string[] {
  if (!header) return [];
  return header.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

export function negotiate(offered: readonly string[]): Negotiation {
  const lower = offered.map((p) => p.toLowerCase());
  if (lower.includes(PROTOCOL_JSON_RELIABLE)) return { kind: 'json', protocol: offered[lower.indexOf(PROTOCOL_JSON_RELIABLE)]!, reliable: true };
  if (lower.includes(PROTOCOL_JSON)) return { kind: 'json', protocol: offered[lower.indexOf(PROTOCOL_JSON)]!, reliable: false };
  const protobuf = offered.find((p) => p.toLowerCase() === PROTOCOL_PROTOBUF || p.toLowerCase() === PROTOCOL_PROTOBUF_RELIABLE);
  if (protobuf) return { kind: 'unsupported', protocol: protobuf };
  return { kind: 'simple' };
}
