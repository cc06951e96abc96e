/**
 * Raw-request helpers over the hostile SignalR world (signalr-hostile.ts): tokens and connection
 * URLs on `sig`'s plain-HTTP origin, negotiated hand-driven WebSocket peers, status-and-text
 * requests, and waiting for server-side state without fixed sleeps.
 */
import assert from 'node:assert/strict';
import { openPeer, type HubPeer } from './signalr-peer.ts';
import type { HostileWorld } from './signalr-hostile.ts';

export const MIB = 1024 * 1024;

export const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

export async function status(method: string, url: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method, headers, body });
  return { status: res.status, text: await res.text() };
}

/** Retries `check` until it holds (state changes on the server side are asynchronous to the client). */
export async function eventually(check: () => Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The `error` of the first hub Close message (JSON object or MessagePack array), if any. */
export const closeError = (hub: unknown[]): string | undefined => {
  const close = hub.find((m) => (Array.isArray(m) ? m[0] === 7 : (m as { type?: number }).type === 7));
  if (close === undefined) return undefined;
  return String(Array.isArray(close) ? close[1] : (close as { error?: string }).error);
};

/** Helpers bound to the world of the running test file (read when called: the world starts in `before`). */
export function onSig(world: () => HostileWorld) {
  const sig = () => world().origins.sig;
  const tok = (o: Parameters<HostileWorld['token']>[1] = {}) => world().token(sig(), { scheme: 'http', ...o });
  const conn = (id: string, hub = 'chat') => `${sig().httpEndpoint}/client/?hub=${hub}&id=${id}`;
  /** A negotiated WebSocket peer on `sig` that has sent `first` (usually a handshake). */
  const wsPeer = async (first?: string | Buffer, user = 'mallory'): Promise<HubPeer> => {
    const t = await tok({ user });
    const n = await world().negotiate(sig(), t, { scheme: 'http' });
    const p = await openPeer(conn(n.connectionToken).replace(/^http/, 'ws'), bearer(t));
    if (first !== undefined) p.ws.send(first);
    return p;
  };
  return { sig, tok, conn, wsPeer };
}
