import type { Session } from '../auth/session.ts';
import { ApiError } from './http.ts';
import { isSignalR, type ServiceDetails } from './service.ts';

/**
 * The resource's own data plane (its origin, not the portal's), called with the signed-in user's
 * Entra token for Web PubSub or SignalR, so the resource's DataActions decide: the same REST API
 * `WebPubSubServiceClient` and the SignalR management SDK call. The listing is Lapis's own.
 */
export interface LiveConnection {
  connectionId: string;
  userId: string | null;
  groups: string[];
  roles: string[];
  protocol: string;
  connectedAt: string;
}

const API = '2024-12-01';
/** A portal view: at most this many connections are shown (pages of 200). */
export const MAX_SHOWN = 1000;

const scopeFor = (id: string) => (isSignalR(id) ? 'https://signalr.azure.com/.default' : 'https://webpubsub.azure.com/.default');

export const endpointOf = (s: ServiceDetails) => (s.properties.hostName ? `https://${s.properties.hostName}${s.properties.publicPort ? `:${s.properties.publicPort}` : ''}` : '');

async function call<T>(session: Session, id: string, endpoint: string, method: string, path: string): Promise<T> {
  const token = await session.token(scopeFor(id));
  const sep = path.includes('?') ? '&' : '?';
  const url = path.includes('api-version=') ? `${endpoint}${path}` : `${endpoint}${path}${sep}api-version=${API}`;
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch { /* not JSON */ }
  if (!res.ok) {
    // The data plane answers `{code, message}` (Azure's ErrorDetail) with the code in x-ms-error-code too.
    const e = json as { code?: string; message?: string } | undefined;
    throw new ApiError(res.status, e?.code ?? res.headers.get('x-ms-error-code') ?? `HTTP${res.status}`, e?.message ?? text.slice(0, 300));
  }
  return json as T;
}

const seg = encodeURIComponent;

export async function listConnections(session: Session, id: string, endpoint: string, hub: string): Promise<{ connections: LiveConnection[]; truncated: boolean }> {
  const out: LiveConnection[] = [];
  let path: string | undefined = `/api/hubs/${seg(hub)}/:connections?maxpagesize=200`;
  while (path && out.length < MAX_SHOWN) {
    const page: { value: LiveConnection[]; nextLink?: string } = await call(session, id, endpoint, 'GET', path);
    out.push(...page.value);
    path = page.nextLink;
  }
  return { connections: out.slice(0, MAX_SHOWN), truncated: path !== undefined };
}

export const closeConnection = (s: Session, id: string, endpoint: string, hub: string, connectionId: string) =>
  call<void>(s, id, endpoint, 'DELETE', `/api/hubs/${seg(hub)}/connections/${seg(connectionId)}?reason=${seg('Closed from the Lapis portal')}`);
export const removeFromGroup = (s: Session, id: string, endpoint: string, hub: string, group: string, connectionId: string) =>
  call<void>(s, id, endpoint, 'DELETE', `/api/hubs/${seg(hub)}/groups/${seg(group)}/connections/${seg(connectionId)}`);
export const removeUserFromGroup = (s: Session, id: string, endpoint: string, hub: string, user: string, group: string) =>
  call<void>(s, id, endpoint, 'DELETE', `/api/hubs/${seg(hub)}/users/${seg(user)}/groups/${seg(group)}`);
export const closeGroup = (s: Session, id: string, endpoint: string, hub: string, group: string) =>
  call<void>(s, id, endpoint, 'POST', `/api/hubs/${seg(hub)}/groups/${seg(group)}/:closeConnections?reason=${seg('Closed from the Lapis portal')}`);
