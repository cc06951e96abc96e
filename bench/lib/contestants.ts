/**
 * What each contestant looks like on the wire: how a receiver or publisher connects, what a
 * client-published message frame is, and what a server-side send request is. Shared by the
 * orchestrator and the load-generator workers (so that both build exactly the same requests).
 */
import { hourToken } from './jwt.ts';
import { invocationBody, negotiateRequest, signalrClientToken, signalrSendRequest } from './signalr.ts';
import type { SignalRProtocol } from './signalr.ts';
import { maskedFrame, OP_BINARY, OP_TEXT } from './wsframe.ts';
import { protobufSendToGroup } from './protobuf-frames.ts';

export const KINDS = ['ws-naive', 'ws-cork', 'socketio', 'lapis-simple', 'lapis-json', 'lapis-protobuf', 'lapis-reliable', 'signalr-json', 'signalr-msgpack', 'signalr-sse'] as const;
export type Kind = (typeof KINDS)[number];

export const LABELS: Record<Kind, string> = {
  'ws-naive': 'ws naive (1 send/socket)',
  'ws-cork': 'ws frame-once + cork',
  socketio: 'Socket.IO 4 rooms',
  'lapis-simple': 'Lapis plain WebSocket',
  'lapis-json': 'Lapis json.webpubsub.azure.v1',
  'lapis-protobuf': 'Lapis protobuf.webpubsub.azure.v1',
  'lapis-reliable': 'Lapis json.reliable.webpubsub.azure.v1',
  'signalr-json': 'Lapis SignalR JSON, WebSockets',
  'signalr-msgpack': 'Lapis SignalR MessagePack, WebSockets',
  'signalr-sse': 'Lapis SignalR JSON, Server-Sent Events',
};

/** How receivers talk to the server once the WebSocket is open. */
export type Wire = 'ws' | 'socketio' | 'lapis-simple' | 'lapis-json' | 'lapis-protobuf' | 'lapis-reliable' | 'signalr-json' | 'signalr-msgpack' | 'signalr-sse';

export function wireOf(kind: Kind): Wire {
  if (kind === 'ws-naive' || kind === 'ws-cork') return 'ws';
  return kind;
}

/** Lapis's Web PubSub contestants. */
export const isLapis = (kind: Kind): boolean => kind === 'lapis-simple' || kind === 'lapis-json' || kind === 'lapis-protobuf' || kind === 'lapis-reliable';
/** Lapis's SignalR (serverless) contestants: a SignalR resource of the same Lapis, REST-driven. */
export const isSignalR = (kind: Kind): boolean => kind.startsWith('signalr-');
/** Any contestant that is Lapis (started with `bin/lapis.js start`). */
export const isAnyLapis = (kind: Kind): boolean => isLapis(kind) || isSignalR(kind);

/** The hub protocol of a SignalR wire (Server-Sent Events carry JSON only). */
export function signalrProtocolOf(wire: Wire): SignalRProtocol {
  return wire === 'signalr-msgpack' ? 'messagepack' : 'json';
}

export const LAPIS_HUB = 'bench';
export const API_VERSION = '2024-12-01';
export const JSON_SUBPROTOCOL = 'json.webpubsub.azure.v1';
export const PROTOBUF_SUBPROTOCOL = 'protobuf.webpubsub.azure.v1';
export const RELIABLE_SUBPROTOCOL = 'json.reliable.webpubsub.azure.v1';

/** Everything a client needs to reach one running contestant. */
export interface Endpoint {
  kind: Kind;
  port: number;
  /** Lapis only: the access key (client tokens and REST tokens are signed with it) and the origin tokens name. */
  key?: string;
  origin?: string;
}

export interface ConnRequest {
  /** Request target of the upgrade GET (path and query). */
  path: string;
  /** Sec-WebSocket-Protocol to offer. */
  protocol?: string;
  /** SignalR: the negotiate request to send first and the client token for the later requests. */
  signalr?: { negotiate: Buffer; token: string };
}

/**
 * Receiver i: user `u{i}`, connection tag `c{i}`, member of group `all` and of small group `s{i/groupSize}`.
 * (SignalR receivers are user `u{i}`; serverless clients cannot join groups, the orchestrator adds them by REST.)
 */
export function receiverRequest(ep: Endpoint, i: number, groupSize: number): ConnRequest {
  if (isSignalR(ep.kind)) {
    const token = signalrClientToken({ port: ep.port, origin: ep.origin!, key: ep.key! }, `u${i}`);
    return { path: '', signalr: { negotiate: negotiateRequest({ port: ep.port, origin: ep.origin!, key: ep.key! }, token), token } };
  }
  const groups = ['all', `s${Math.floor(i / groupSize)}`];
  return clientRequest(ep, `u${i}`, `c${i}`, groups, ['webpubsub.joinLeaveGroup']);
}

/** Publisher j (not a receiver: no groups). For Lapis plain WebSocket it is bound to one group (webpubsub_mode=sendToGroup). */
export function publisherRequest(ep: Endpoint, j: number, group: string): ConnRequest {
  if (ep.kind === 'lapis-simple') {
    const token = lapisClientToken(ep, `p${j}`, [], ['webpubsub.sendToGroup']);
    return { path: `/client/hubs/${LAPIS_HUB}?webpubsub_mode=sendToGroup&group=${encodeURIComponent(group)}&access_token=${token}` };
  }
  return clientRequest(ep, `p${j}`, `p${j}`, [], ['webpubsub.sendToGroup']);
}

function clientRequest(ep: Endpoint, user: string, tag: string, groups: string[], roles: string[]): ConnRequest {
  switch (wireOf(ep.kind)) {
    case 'ws':
      return { path: `/ws?c=${tag}&u=${user}&g=${groups.join(',')}` };
    case 'socketio':
      return { path: `/socket.io/?EIO=4&transport=websocket&c=${tag}&u=${user}&g=${groups.join(',')}` };
    case 'lapis-simple':
      return { path: `/client/hubs/${LAPIS_HUB}?access_token=${lapisClientToken(ep, user, groups, roles)}` };
    case 'lapis-json':
      return { path: `/client/hubs/${LAPIS_HUB}?access_token=${lapisClientToken(ep, user, groups, roles)}`, protocol: JSON_SUBPROTOCOL };
    case 'lapis-protobuf':
      return { path: `/client/hubs/${LAPIS_HUB}?access_token=${lapisClientToken(ep, user, groups, roles)}`, protocol: PROTOBUF_SUBPROTOCOL };
    case 'lapis-reliable':
      return { path: `/client/hubs/${LAPIS_HUB}?access_token=${lapisClientToken(ep, user, groups, roles)}`, protocol: RELIABLE_SUBPROTOCOL };
    default:
      throw new Error(`${ep.kind} clients are not publishers (serverless SignalR clients' messages go upstream)`);
  }
}

/** Client access token (reference §3.2): aud = `{endpoint}/client/hubs/{hub}`, signed with the access key. */
export function lapisClientToken(ep: Endpoint, user: string, groups: string[], roles: string[]): string {
  const claims: Record<string, unknown> = { aud: `${ep.origin}/client/hubs/${LAPIS_HUB}`, sub: user, role: roles };
  if (groups.length > 0) claims['webpubsub.group'] = groups;
  return hourToken(claims, ep.key!);
}

/** The client → server frame that publishes `payload` (text) to `group`. */
export function publishFrame(kind: Kind, group: string, payload: string): Buffer {
  switch (wireOf(kind)) {
    case 'ws':
      return maskedFrame(OP_TEXT, Buffer.from(JSON.stringify({ g: group, d: payload })));
    case 'socketio':
      return maskedFrame(OP_TEXT, Buffer.from(`42${JSON.stringify(['pub', { g: group, d: payload }])}`));
    case 'lapis-simple':
      return maskedFrame(OP_TEXT, Buffer.from(payload));
    case 'lapis-json':
    case 'lapis-reliable':
      return maskedFrame(OP_TEXT, Buffer.from(JSON.stringify({ type: 'sendToGroup', group, dataType: 'text', data: payload })));
    case 'lapis-protobuf':
      return maskedFrame(OP_BINARY, protobufSendToGroup(group, payload));
    default:
      throw new Error(`${kind} clients do not publish`);
  }
}

export type SendTarget = { scope: 'all' } | { scope: 'group'; group: string } | { scope: 'user'; user: string } | { scope: 'connection'; id: string };

/**
 * A complete HTTP/1.1 request that makes the server send `body` (text) to `target`: the REST API
 * for Lapis (access-key JWT whose aud is the full URL, reference §2.2), a bare POST for the peers.
 */
export function sendRequest(ep: Endpoint, target: SendTarget, body: Buffer): Buffer {
  if (isSignalR(ep.kind)) return signalrSendRequest({ port: ep.port, origin: ep.origin!, key: ep.key! }, target, invocationBody(body.toString('utf8')));
  let path: string;
  let auth = '';
  if (isLapis(ep.kind)) {
    const base = `/api/hubs/${LAPIS_HUB}`;
    const suffix = `/:send?api-version=${API_VERSION}`;
    switch (target.scope) {
      case 'all': path = `${base}${suffix}`; break;
      case 'group': path = `${base}/groups/${encodeURIComponent(target.group)}${suffix}`; break;
      case 'user': path = `${base}/users/${encodeURIComponent(target.user)}${suffix}`; break;
      case 'connection': path = `${base}/connections/${encodeURIComponent(target.id)}${suffix}`; break;
    }
    auth = `Authorization: Bearer ${hourToken({ aud: `${ep.origin}${path}` }, ep.key!)}\r\n`;
  } else {
    switch (target.scope) {
      case 'all': path = '/broadcast'; break;
      case 'group': path = `/group/${encodeURIComponent(target.group)}`; break;
      case 'user': path = `/user/${encodeURIComponent(target.user)}`; break;
      case 'connection': path = `/conn/${encodeURIComponent(target.id)}`; break;
    }
  }
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${ep.port}\r\n${auth}Content-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** A text payload of exactly `size` bytes; `stamp` (hrtime µs) is embedded as `@@T<digits>;` for latency runs. */
export function payloadOf(size: number, stamp?: bigint): string {
  const head = stamp === undefined ? '' : `@@T${stamp};`;
  const fill = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = head;
  while (s.length < size) s += fill;
  return s.slice(0, size);
}
