/**
 * Subprotocol selection (reference §3.4). Of the PubSub subprotocols a client offers, reliable
 * JSON is preferred, then JSON, then reliable protobuf, then protobuf (JSON first, as the
 * emulator). Anything else (or nothing) is a plain WebSocket client, and no subprotocol is echoed.
 */
import type { PubSubFormat } from './subprotocols.ts';
import { PROTOCOL_JSON, PROTOCOL_JSON_RELIABLE, PROTOCOL_PROTOBUF, PROTOCOL_PROTOBUF_RELIABLE, parseSubprotocol } from './subprotocols.ts';

export { PROTOCOL_PROTOBUF, PROTOCOL_PROTOBUF_RELIABLE };

export type Negotiation =
  /** `protocol` is the client's own spelling, echoed in the handshake. */
  | { kind: 'pubsub'; format: PubSubFormat; protocol: string; reliable: boolean }
  | { kind: 'simple' };

const PREFERENCE = [PROTOCOL_JSON_RELIABLE, PROTOCOL_JSON, PROTOCOL_PROTOBUF_RELIABLE, PROTOCOL_PROTOBUF];

export function parseProtocolHeader(header: string | undefined): string[] {
  if (!header) return [];
  // The SDKs offer one subprotocol: no split, no intermediate arrays.
  if (!header.includes(',')) {
    const only = header.trim();
    return only.length > 0 ? [only] : [];
  }
  return header.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** The outcome for a client offering exactly one PubSub subprotocol, spelled as we spell it (the SDKs): made once. */
const EXACT = new Map<string, Negotiation>(PREFERENCE.map((name) => [name, Object.freeze({ kind: 'pubsub', protocol: name, ...parseSubprotocol(name)! })]));

/** The result is shared between handshakes: never mutate it. */
export function negotiate(offered: readonly string[]): Negotiation {
  if (offered.length === 1) {
    const exact = EXACT.get(offered[0]!);
    if (exact) return exact;
  }
  const lower = offered.map((p) => p.toLowerCase());
  for (const name of PREFERENCE) {
    const i = lower.indexOf(name);
    if (i >= 0) return { kind: 'pubsub', protocol: offered[i]!, ...parseSubprotocol(name)! };
  }
  return SIMPLE;
}

const SIMPLE: Negotiation = Object.freeze({ kind: 'simple' });
