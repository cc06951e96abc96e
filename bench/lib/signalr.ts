/**
 * What a serverless Azure SignalR client and app server send on the wire (reference
 * signalr-protocol.md §1–2), pre-built for the load generators: client tokens, the negotiate
 * request, the connection URL, the hub-protocol handshake and Ping, and REST requests signed with
 * the access key as the SDKs sign them (HS256 over the key's UTF-8 bytes, aud = URL without query).
 */
import { hourToken } from './jwt.ts';

export const SIGNALR_HUB = 'bench';
export const SIGNALR_API_VERSION = '2022-06-01';
/** The client method every benchmark message invokes. */
export const SIGNALR_TARGET = 'm';
export const RECORD_SEPARATOR = 0x1e;

export type SignalRProtocol = 'json' | 'messagepack';

/** What the generators need to reach a SignalR resource: its plain-HTTP origin and access key. */
export interface SignalREndpoint {
  port: number;
  origin: string;
  key: string;
}

/** Client access token as a hand-rolled negotiate issues it: aud = `{endpoint}/client/?hub={hub}`, `nameid` = user id. */
export function signalrClientToken(ep: SignalREndpoint, user: string): string {
  return hourToken({ aud: `${ep.origin}/client/?hub=${SIGNALR_HUB}`, nameid: user }, ep.key);
}

/** `POST /client/negotiate?hub=&negotiateVersion=1` with the token as a bearer header (what the JS client sends). */
export function negotiateRequest(ep: SignalREndpoint, token: string): Buffer {
  return Buffer.from(
    `POST /client/negotiate?hub=${SIGNALR_HUB}&negotiateVersion=1 HTTP/1.1\r\nHost: 127.0.0.1:${ep.port}\r\n` +
      `Authorization: Bearer ${token}\r\nX-SignalR-User-Agent: lapis-bench\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );
}

export interface Negotiated {
  connectionId: string;
  connectionToken: string;
}

/** Reads a negotiateVersion 1 answer; throws with the server's words otherwise. */
export function parseNegotiate(status: number, body: string): Negotiated {
  if (status !== 200) throw new Error(`negotiate answered ${status}: ${body.slice(0, 200)}`);
  const j = JSON.parse(body) as { connectionId?: string; connectionToken?: string; error?: string };
  if (!j.connectionToken || !j.connectionId) throw new Error(`negotiate answered without a connection token: ${body.slice(0, 200)}`);
  return { connectionId: j.connectionId, connectionToken: j.connectionToken };
}

/** The connection URL on every transport (the JS client appends `id` unencoded; tokens are URL-safe). */
export function connectionPath(connectionToken: string): string {
  return `/client/?hub=${SIGNALR_HUB}&id=${connectionToken}`;
}

/** `{"protocol":…,"version":1}` + 0x1E: always JSON text, whatever the hub protocol. */
export function handshakeMessage(protocol: SignalRProtocol): Buffer {
  return Buffer.from(`${JSON.stringify({ protocol, version: 1 })}\u001e`);
}

/** A client Ping, sent every few seconds so that the server's 30 s client timeout never fires. */
export function pingMessage(protocol: SignalRProtocol): Buffer {
  return protocol === 'json' ? Buffer.from('{"type":6}\u001e') : Buffer.from([0x02, 0x91, 0x06]);
}

/** A POST on the connection URL (SSE and long-polling sends), bearer token in the header as the JS client does. */
export function connectionPost(ep: SignalREndpoint, connectionToken: string, token: string, body: Buffer): Buffer {
  const head = `POST ${connectionPath(connectionToken)} HTTP/1.1\r\nHost: 127.0.0.1:${ep.port}\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export type SignalRTarget = { scope: 'all' } | { scope: 'group'; group: string } | { scope: 'user'; user: string } | { scope: 'connection'; id: string };

/** The REST body of a send: one invocation of `m` with the payload as its only argument. */
export function invocationBody(payload: string): Buffer {
  return Buffer.from(JSON.stringify({ target: SIGNALR_TARGET, arguments: [payload] }));
}

function restRequest(ep: SignalREndpoint, method: string, path: string, body: Buffer | undefined): Buffer {
  const url = `${path}?api-version=${SIGNALR_API_VERSION}`;
  const token = hourToken({ aud: `${ep.origin}${path}` }, ep.key);
  const type = body ? 'Content-Type: application/json\r\n' : '';
  const head = `${method} ${url} HTTP/1.1\r\nHost: 127.0.0.1:${ep.port}\r\nAuthorization: Bearer ${token}\r\n${type}Content-Length: ${body?.length ?? 0}\r\n\r\n`;
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

/** `POST /api/hubs/{hub}[/groups/{g}|/users/{u}|/connections/{id}]/:send` (REST API 2022-06-01). */
export function signalrSendRequest(ep: SignalREndpoint, target: SignalRTarget, body: Buffer): Buffer {
  const base = `/api/hubs/${SIGNALR_HUB}`;
  let path: string;
  switch (target.scope) {
    case 'all': path = `${base}/:send`; break;
    case 'group': path = `${base}/groups/${encodeURIComponent(target.group)}/:send`; break;
    case 'user': path = `${base}/users/${encodeURIComponent(target.user)}/:send`; break;
    case 'connection': path = `${base}/connections/${encodeURIComponent(target.id)}/:send`; break;
  }
  return restRequest(ep, 'POST', path, body);
}

/** `PUT /api/hubs/{hub}/groups/{g}/connections/{id}`: serverless clients cannot join groups themselves. */
export function addToGroupRequest(ep: SignalREndpoint, group: string, connectionId: string): Buffer {
  return restRequest(ep, 'PUT', `/api/hubs/${SIGNALR_HUB}/groups/${encodeURIComponent(group)}/connections/${encodeURIComponent(connectionId)}`, undefined);
}
