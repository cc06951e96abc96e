/**
 * Client WebSocket endpoint: `/client/hubs/{hub}` and `/client/?hub={hub}` (reference §3).
 * Everything that can be refused is refused before the upgrade, with a plain HTTP status and a
 * short text reason; only reliable-session recovery failures are accepted-then-closed (1008),
 * because the JS client otherwise retries for 30 s (reference §4.6).
 */
import type { DenialRecorder } from './auth/entra.ts';
import { recordRefusal } from './denial.ts';
import { randomId } from '../../ids/index.ts';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { ConnectionLimitError } from '../../messaging/index.ts';
import type { ResourceTrace } from '../../trace/index.ts';
import type { ClientSession, SessionHost, SimpleMode } from '../../protocols/webpubsub/index.ts';
import {
  ConnectRejectedError,
  isValidGroup,
  isValidHub,
  jsonCodec,
  JsonSession,
  negotiate,
  type Negotiation,
  PROTOCOL_JSON_RELIABLE,
  PROTOCOL_PROTOBUF_RELIABLE,
  parseProtocolHeader,
  protobufCodec,
  SimpleSession,
  truncateReason,
} from '../../protocols/webpubsub/index.ts';
import type { ClientEventHooks } from '../../protocols/webpubsub/index.ts';
import { bearerToken } from './auth/types.ts';
import type { ClientIdentity } from './client-token.ts';
import { verifyClientToken } from './client-token.ts';
import type { UpgradeAdmission } from './admission.ts';
import { AuthenticationError, DataPlaneError, dataPlaneErrors, STATUS_TEXT } from './errors.ts';
import { resume, resumeFromStore } from './client-resume.ts';
import { upgrade } from './client-upgrade.ts';
import type { ChannelSessions } from './session-store/index.ts';

export interface ClientEndpointDeps {
  host: SessionHost;
  wss: WebSocketServer;
  events: ClientEventHooks | undefined;
  /** Keys accepted for client tokens right now (access keys unless local auth is off, plus the internal key). */
  clientTokenKeys(): string[];
  anonymousAllowed(hub: string): boolean;
  maxConnections: number | undefined;
  resourceName: string;
  /** Slots for upgrades waiting on handshake work; counted against the connection limit. */
  admission: UpgradeAdmission;
  register(session: ClientSession): void;
  track(ws: WebSocket): void;
  /** Reliable sessions beyond this node: mirrored while they live, recovered from elsewhere. */
  sessions: ChannelSessions;
  /** Where refused handshakes (401/403) are recorded ("why was this denied"), with the resource's id. */
  denials?: DenialRecorder | undefined;
  resourceId?: string;
}

/** How long a refused peer may take to read the refusal and hang up. */
const REJECT_GRACE_MS = 5000;

/** Which hub a client URL addresses, or undefined when the path is not a client endpoint. */
export function clientHub(url: URL): string | undefined | null {
  const path = url.pathname;
  // `/client/hubs/{hub}` or `/client/hubs/{hub}/`, case-insensitive (string tests: this runs per handshake).
  if (path.length >= HUBS_PREFIX.length && path.slice(0, HUBS_PREFIX.length).toLowerCase() === HUBS_PREFIX) {
    const end = path.endsWith('/') ? path.length - 1 : path.length;
    const segment = path.slice(HUBS_PREFIX.length, end);
    if (!segment.includes('/')) {
      try {
        return decodeURIComponent(segment);
      } catch {
        return null;
      }
    }
  }
  if (/^\/client\/?$/i.test(path)) return url.searchParams.get('hub') ?? '';
  return undefined;
}

const HUBS_PREFIX = '/client/hubs/';

/** The request target as the caller already parsed it, and what `clientHub` found in it. */
export interface ParsedTarget {
  url: URL;
  hub: string | undefined | null;
}

/**
 * `parsed`: the request target as the caller already parsed it (parsed here when not given).
 * Synchronous unless handshake work waits (a connect event handler, a session store): then the
 * promise settles once the handshake is answered. A handshake with nothing to wait for costs no
 * promise and no extra turn. Refusals are answered here, never thrown.
 */
export function handleClientUpgrade(deps: ClientEndpointDeps, req: IncomingMessage, socket: Duplex, head: Buffer, parsed?: ParsedTarget): Promise<void> | undefined {
  let url: URL;
  try {
    url = parsed?.url ?? new URL(req.url ?? '/', 'http://localhost');
  } catch {
    reject(socket, dataPlaneErrors.badRequest('Invalid request target.'));
    return undefined;
  }
  try {
    const hub = parsed ? parsed.hub : clientHub(url);
    if (hub === undefined) throw dataPlaneErrors.notFound('Not found.');
    if (hub === null || hub === '' || !isValidHub(hub)) throw dataPlaneErrors.badRequest('The hub name is missing or invalid.');
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') throw dataPlaneErrors.badRequest('Expected a WebSocket upgrade.');
    const offered = parseProtocolHeader(req.headers['sec-websocket-protocol']);

    const connectionId = url.searchParams.get('awps_connection_id');
    if (connectionId !== null) {
      const token = url.searchParams.get('awps_reconnection_token') ?? '';
      const reliableOffered = offered.find((p) => p === PROTOCOL_JSON_RELIABLE || p === PROTOCOL_PROTOBUF_RELIABLE);
      if (!deps.host.core.connection(hub, connectionId) && deps.sessions.shared && reliableOffered) {
        return resumeFromStore(deps, req, socket, head, hub, connectionId, token, offered, reliableOffered).catch((err: unknown) => refuse(deps, req, socket, url, err));
      }
      resume(deps, req, socket, head, hub, connectionId, token, offered);
      return undefined;
    }

    const identity = authenticateClient(deps, req, url, hub);
    // A slot is taken before any slow handshake work (the connect event handler), so waiting
    // upgrades count against the limit and are bounded; it is given back once registered or refused.
    const refusal = deps.admission.reserve();
    if (refusal) throw refusal;
    let waiting: Promise<void> | undefined;
    try {
      waiting = connectNew(deps, req, socket, head, url, hub, offered, identity);
    } finally {
      if (!waiting) deps.admission.release();
    }
    if (waiting) return waiting.finally(() => deps.admission.release()).catch((err: unknown) => refuse(deps, req, socket, url, err));
  } catch (err) {
    refuse(deps, req, socket, url, err);
  }
  return undefined;
}

/** A handshake that failed: recorded ("why was this denied"), traced, answered with its status. */
function refuse(deps: ClientEndpointDeps, req: IncomingMessage, socket: Duplex, url: URL, err: unknown): void {
  const refusal = err instanceof DataPlaneError ? err : dataPlaneErrors.internal('Internal server error.');
  if (!(err instanceof DataPlaneError)) deps.host.log.error({ err }, 'client handshake failed');
  const hub = clientHub(url);
  recordRefusal(refusal, {
    denials: deps.denials, surface: 'webpubsub', resourceName: deps.resourceName, method: 'GET', url: req.url ?? '/',
    scope: deps.resourceId && hub && isValidHub(hub) ? `${deps.resourceId}/hubs/${hub.toLowerCase()}` : deps.resourceId ?? '/',
    authorization: typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined,
    queryToken: url.searchParams.get('access_token') ?? undefined,
  });
  if (deps.host.core.trace?.on) traceRejected(deps.host.core.trace, url, refusal);
  reject(socket, refusal);
}

/** A refused handshake in the live trace: hub, status, the error code and the reason the client got. */
function traceRejected(trace: ResourceTrace, url: URL, e: DataPlaneError): void {
  const hub = clientHub(url);
  trace.emit({
    category: 'connection', event: 'handshakeRejected', hub: typeof hub === 'string' && hub ? hub.toLowerCase() : undefined,
    userId: undefined, status: e.status, reason: e.message, detail: e.code,
  });
}

/**
 * A new connection past authentication: the connect event when the hub has a handler (then a
 * promise: the rest waits for its answer), else straight on to checks, upgrade and registration.
 */
function connectNew(deps: ClientEndpointDeps, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, hub: string, offered: string[], identity: ClientIdentity): Promise<void> | undefined {
  const assignedId = newConnectionId();
  const events = deps.events;
  // Without a connect handler for the hub, no event request (query, headers, claims) is built.
  if (!events?.connect || !(events.hasConnectHandler?.(hub.toLowerCase()) ?? true)) {
    admit(deps, req, socket, head, url, hub, negotiate(offered), identity, assignedId);
    return undefined;
  }
  return events.connect({
    hub: hub.toLowerCase(),
    connectionId: assignedId,
    claims: identity.claims,
    query: queryWithout(url, 'access_token'),
    headers: headersWithout(req, 'authorization'),
    subprotocols: offered,
  }).catch((err: unknown) => {
    if (err instanceof ConnectRejectedError) throw dataPlaneErrors.connectRejected(err.status, err.message);
    throw dataPlaneErrors.connectHandlerFailed('The connect event handler failed.');
  }).then((override) => {
    let negotiation = negotiate(offered);
    const granted = { ...identity };
    if (override?.userId !== undefined) granted.userId = override.userId || undefined;
    if (override?.roles !== undefined) granted.roles = override.roles;
    if (override?.groups !== undefined && override.groups.length > 0) granted.groups = override.groups;
    if (override?.subprotocol !== undefined) {
      if (!offered.includes(override.subprotocol)) throw dataPlaneErrors.connectHandlerFailed('The connect handler chose a subprotocol the client did not offer.');
      negotiation = negotiate([override.subprotocol]);
    }
    admit(deps, req, socket, head, url, hub, negotiation, granted, assignedId);
  });
}

/** The last checks (groups, mode, capacity), then the upgrade and the session's registration. */
function admit(deps: ClientEndpointDeps, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, hub: string, negotiation: Negotiation, identity: ClientIdentity, connectionId: string): void {
  const { userId, roles, groups } = identity;
  for (const g of groups) {
    if (!isValidGroup(g)) throw dataPlaneErrors.badRequest(`Invalid group name in the token: '${g.slice(0, 64)}'.`);
  }
  const mode = negotiation.kind === 'simple' ? simpleMode(url) : undefined;
  if (!deps.host.core.hasCapacity()) {
    throw dataPlaneErrors.connectionLimit(deps.maxConnections ?? 0, deps.resourceName);
  }
  if (socket.destroyed) return;

  const init = { connectionId, hub, userId, roles };
  const session = negotiation.kind === 'pubsub'
    ? new JsonSession(deps.host, init, negotiation.format === 'protobuf' ? protobufCodec : jsonCodec, negotiation.reliable)
    : new SimpleSession(deps.host, init, mode!);
  const protocol = negotiation.kind === 'pubsub' ? negotiation.protocol : undefined;
  upgrade(deps, req, socket, head, protocol, (ws) => {
    try {
      deps.host.core.register(session.connection);
    } catch (err) {
      const reason = err instanceof ConnectionLimitError ? err.message : 'The connection could not be registered.';
      ws.close(1013, truncateReason(reason));
      return;
    }
    deps.register(session);
    for (const g of groups) deps.host.core.join(session.connection, g);
    if (session instanceof JsonSession && session.reliable) session.reliableState!.mirror = deps.sessions.track(session);
    session.start(ws);
    try {
      deps.events?.connected?.(session.context);
    } catch (err) {
      deps.host.log.warn({ err }, 'connected hook failed');
    }
  });
}

function authenticateClient(deps: ClientEndpointDeps, req: IncomingMessage, url: URL, hub: string): ClientIdentity {
  const token = url.searchParams.get('access_token') ?? bearerToken(req.headers);
  if (!token) {
    if (deps.anonymousAllowed(hub.toLowerCase())) return { userId: undefined, roles: [], groups: [], claims: {} };
    throw new AuthenticationError("An access token is required: this hub's anonymousConnectPolicy does not allow anonymous clients.");
  }
  return verifyClientToken(token, hub, url.pathname + url.search, deps.clientTokenKeys());
}

function simpleMode(url: URL): SimpleMode {
  const raw = url.searchParams.get('webpubsub_mode');
  if (raw === null || raw.toLowerCase() === 'sendevent') return { mode: 'sendEvent' };
  if (raw.toLowerCase() !== 'sendtogroup') throw dataPlaneErrors.badRequest("webpubsub_mode must be 'sendEvent' or 'sendToGroup'.");
  const group = url.searchParams.get('group');
  if (group === null || !isValidGroup(group)) throw dataPlaneErrors.badRequest('webpubsub_mode=sendToGroup needs a valid group parameter.');
  const noEcho = url.searchParams.get('noEcho');
  if (noEcho !== null && !/^(true|false)$/i.test(noEcho)) throw dataPlaneErrors.badRequest("noEcho must be 'true' or 'false'.");
  return { mode: 'sendToGroup', group, noEcho: noEcho?.toLowerCase() === 'true' };
}

function reject(socket: Duplex, e: DataPlaneError): void {
  if (socket.destroyed) return;
  const body = Buffer.from(`${e.message}\n`, 'utf8');
  let extra = `x-ms-error-code: ${e.code}\r\n`;
  if (e.denialId) extra += `x-ms-lapis-denial-id: ${e.denialId}\r\n`;
  if (e instanceof AuthenticationError || e.status === 401) {
    extra += `WWW-Authenticate: Bearer error="invalid_token", error_description="${e.message.replace(/["\\\r\n]/g, '')}"\r\n`;
  }
  socket.end(
    `HTTP/1.1 ${e.status} ${STATUS_TEXT[e.status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n${extra}\r\n${body.toString('utf8')}`,
  );
  // Whatever the peer still sends is read and dropped (unread bytes would keep the half-closed
  // socket from ever ending), and a peer that never hangs up is cut after a grace period.
  socket.resume();
  const cut = setTimeout(() => socket.destroy(), REJECT_GRACE_MS);
  cut.unref();
  socket.once('close', () => clearTimeout(cut));
}

function newConnectionId(): string {
  return randomId();
}

function queryWithout(url: URL, name: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) if (k !== name) (out[k] ??= []).push(v);
  return out;
}

function headersWithout(req: IncomingMessage, name: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i]!;
    if (k.toLowerCase() === name) continue;
    (out[k] ??= []).push(req.rawHeaders[i + 1]!);
  }
  return out;
}
