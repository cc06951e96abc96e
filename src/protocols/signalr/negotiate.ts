/**
 * Negotiate responses for the client endpoint (`POST /client/negotiate?hub=…`) and the redirect
 * an app server (or Lapis's `:generateToken` users) hands to clients.
 */
import { randomId } from '../../ids/index.ts';

export type TransportName = 'WebSockets' | 'ServerSentEvents' | 'LongPolling';

export interface AvailableTransport {
  transport: TransportName;
  transferFormats: Array<'Text' | 'Binary'>;
}

/** `asrs.s.htt` bitmask values. */
export const TRANSPORT_BITS: Readonly<Record<TransportName, number>> = { WebSockets: 1, ServerSentEvents: 2, LongPolling: 4 };

/**
 * Every transport with its formats. Server-Sent Events is Text only, so MessagePack clients skip it;
 * every entry must list `transferFormats` (the JS client crashes without it).
 */
const ALL: readonly AvailableTransport[] = [
  { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
  { transport: 'ServerSentEvents', transferFormats: ['Text'] },
  { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
];

/** Transports allowed by an `asrs.s.htt` claim (absent or not a 1..7 bitmask: all of them). */
export function availableTransports(allowedMask?: unknown): AvailableTransport[] {
  const mask = typeof allowedMask === 'string' ? Number(allowedMask) : allowedMask;
  const valid = typeof mask === 'number' && Number.isInteger(mask) && mask >= 1 && mask <= 7;
  return ALL.filter((t) => !valid || (mask & TRANSPORT_BITS[t.transport]) !== 0).map((t) => ({
    transport: t.transport,
    transferFormats: [...t.transferFormats],
  }));
}

export type NegotiateVersion = { ok: true; version: 0 | 1 } | { ok: false; error: string };

/**
 * Reads the `negotiateVersion` query value as ASP.NET Core does: absent → 0, above the server's → 1,
 * not an integer or negative → an error the client shows (`{"error": …}` in a 200 response).
 */
export function parseNegotiateVersion(value: string | null | undefined): NegotiateVersion {
  if (value === null || value === undefined) return { ok: true, version: 0 };
  if (!/^[+-]?\d{1,10}$/.test(value.trim())) {
    return { ok: false, error: `The client requested an invalid protocol version '${value.slice(0, 32)}'` };
  }
  const n = Number(value);
  if (n < 0) return { ok: false, error: `The client requested version '${n}', but the server does not support this version.` };
  return { ok: true, version: n >= 1 ? 1 : 0 };
}

export interface ConnectionIds {
  /** Public id: what the app sees as `connection.connectionId`, REST `/connections/{id}` and `X-ASRS-Connection-Id`. */
  connectionId: string;
  /** Secret id the client presents as `id=` on every transport request (negotiateVersion ≥ 1). */
  connectionToken: string;
}

/** Two independent random, URL-safe ids (the JS client appends `id=` without encoding). */
export function newConnectionIds(): ConnectionIds {
  return { connectionId: randomId(), connectionToken: randomId() };
}

export interface NegotiateResponse {
  negotiateVersion: 0 | 1;
  connectionId: string;
  connectionToken?: string;
  availableTransports: AvailableTransport[];
}

/**
 * The service's negotiate answer. Version 0 carries only the `connectionId`, which the client then
 * uses as `id` (so with version 0 the id is both public and the transport key). Never includes
 * `useStatefulReconnect` (not offered) nor `ProtocolVersion` (that would mean classic ASP.NET SignalR).
 */
export function negotiateResponse(version: 0 | 1, ids: ConnectionIds, transports: AvailableTransport[]): NegotiateResponse {
  if (version === 0) return { negotiateVersion: 0, connectionId: ids.connectionId, availableTransports: transports };
  return { negotiateVersion: 1, connectionId: ids.connectionId, connectionToken: ids.connectionToken, availableTransports: transports };
}

/** The `{"error": …}` body a client shows as its start failure. */
export function negotiateError(error: string): { error: string } {
  return { error };
}

export interface RedirectResponse {
  url: string;
  accessToken: string;
  availableTransports?: AvailableTransport[];
}

/**
 * The redirect the server SDKs give clients: `{url, accessToken}` where `url` is
 * `{clientEndpoint}/client/?hub={hub}` (hub lowercased, port kept). The ASP.NET SDK in default mode
 * also writes `availableTransports: []`, which clients ignore when `url` is present.
 */
export function redirectResponse(clientEndpoint: string, hub: string, accessToken: string, withEmptyTransports = false): RedirectResponse {
  const url = clientUrl(clientEndpoint, hub);
  return withEmptyTransports ? { url, accessToken, availableTransports: [] } : { url, accessToken };
}

export function clientUrl(clientEndpoint: string, hub: string): string {
  return `${clientEndpoint.replace(/\/+$/, '')}/client/?hub=${encodeURIComponent(hub.toLowerCase())}`;
}
