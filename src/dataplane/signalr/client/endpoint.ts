/**
 * The SignalR client endpoint of one resource: `POST /client/negotiate?hub=` and the connection
 * URL `/client/?hub=&id=` on every transport. Every request carries the client's access token
 * (the JS client sends it on the negotiate, each poll and POST, the SSE GET and the WebSocket
 * upgrade); a transport request must come from the same user, for the same hub, as its negotiate.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { acceptWebSocket } from '../../../net/index.ts';
import {
  availableTransports, KeepAliveClock, negotiateError, negotiateResponse, newConnectionIds, parseNegotiateVersion, SignalRSession, TRANSPORT_BITS,
  type DecodedFrame,
} from '../../../protocols/signalr/index.ts';
import { TransportDispatcher, type DispatchedConnection, type TransportName } from '../../../transports/index.ts';
import type { ClientAuthenticator, ClientConnectionInfo, ClientIdentity, SignalRClientRuntime } from './types.ts';

const PENDING_LIMIT_TEXT = 'Too many connections are negotiating or waiting for their handshake; try again later.';
const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;
const MIB = 1024 * 1024;

export interface ClientEndpointOptions {
  log: Logger;
  authenticate: ClientAuthenticator;
  runtime: SignalRClientRuntime;
  maxMessageBytes?: number | undefined;
  maxBufferedBytes?: number | undefined;
  pollTimeoutMs?: number | undefined;
  keepAliveMs?: number | undefined;
  clientTimeoutMs?: number | undefined;
  handshakeTimeoutMs?: number | undefined;
  /** Negotiated connections that have not started a transport yet (30 s each at most); past it negotiate answers 429. */
  maxPendingNegotiations?: number | undefined;
  /**
   * Default mode: a connection that relays the client's bytes to an app server instead of a
   * SignalRSession (the app answers the hub handshake); undefined = a SignalRSession as usual.
   */
  relay?: ((info: ClientConnectionInfo) => DispatchedConnection | undefined) | undefined;
  /** A client negotiated for `hub` (default mode in a cluster starts finding the node that will serve it). */
  negotiated?: ((hub: string) => void) | undefined;
}

/** The hub named by `?hub=`, lower-cased, or an error text. */
export function hubOf(url: URL): { ok: true; hub: string } | { ok: false; error: string } {
  const hub = url.searchParams.get('hub');
  if (hub === null || hub === '') return { ok: false, error: 'The hub query parameter is required.' };
  if (!HUB_NAME.test(hub)) return { ok: false, error: 'The hub name is invalid: it starts with a letter and has at most 128 letters, digits and _`,.[] characters.' };
  return { ok: true, hub: hub.toLowerCase() };
}

export class SignalRClientEndpoint {
  readonly #o: ClientEndpointOptions;
  readonly #dispatcher: TransportDispatcher;
  readonly #clock: KeepAliveClock;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Set<SignalRSession>();
  /** Sessions whose transport started but whose hub handshake has not come yet (bounded with negotiations). */
  #awaitingHandshake = 0;
  readonly #maxPending: number;

  constructor(options: ClientEndpointOptions) {
    this.#o = options;
    const maxMessageBytes = options.maxMessageBytes ?? MIB;
    this.#dispatcher = new TransportDispatcher({
      maxBufferedBytes: options.maxBufferedBytes ?? 16 * MIB,
      maxSendBytes: maxMessageBytes,
      pollTimeoutMs: options.pollTimeoutMs ?? 90_000,
      inactivityTimeoutMs: (options.pollTimeoutMs ?? 90_000) + 15_000,
      startTimeoutMs: 30_000,
      maxPendingStarts: options.maxPendingNegotiations ?? 10_000,
    });
    this.#maxPending = options.maxPendingNegotiations ?? 10_000;
    this.#clock = new KeepAliveClock();
    // The limit is per hub message, and one frame may carry a whole message plus the start of the
    // next: `ws` only cuts frames past twice the limit (1009), so a single oversized message gets
    // the hub reader's MessageTooLarge Close, as on every other transport.
    this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 2 * maxMessageBytes, clientTracking: false });
  }

  get connectionCount(): number {
    return this.#sessions.size;
  }

  negotiate(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const hub = hubOf(url);
    if (!hub.ok) return text(res, 400, hub.error);
    const auth = this.#o.authenticate(req, url, hub.hub);
    if (!auth.ok) return text(res, auth.status, auth.message, auth.status === 401 ? { 'www-authenticate': 'Bearer' } : undefined);
    const version = parseNegotiateVersion(url.searchParams.get('negotiateVersion'));
    // ASP.NET answers a bad version with 200 and `{"error"}`, which clients show as their start failure.
    if (!version.ok) return json(res, 200, negotiateError(version.error));
    if (!this.#o.runtime.hasCapacity()) return json(res, 429, { error: 'The connection limit of this resource has been reached.' });
    if (this.#awaitingHandshake >= this.#maxPending) return json(res, 429, { error: PENDING_LIMIT_TEXT });
    const ids = newConnectionIds();
    const identity = auth.identity;
    const query = queryWithout(url, ['negotiateVersion']);
    // A version-0 answer has no connectionToken: those clients present the connectionId as `id`.
    const transportKey = version.version === 0 ? ids.connectionId : ids.connectionToken;
    const registered = this.#dispatcher.register(transportKey, hub.hub, identity.userId, (transport) =>
      this.#session({ hub: hub.hub, connectionId: ids.connectionId, identity, query, transport, requestHeaders: req.headers, remoteAddress: req.socket.remoteAddress }));
    if (!registered) return json(res, 429, { error: PENDING_LIMIT_TEXT });
    const transports = availableTransports(identity.claims['asrs.s.htt']);
    json(res, 200, negotiateResponse(version.version, ids, transports));
    this.#o.negotiated?.(hub.hub);
  }

  /** GET (SSE or a poll), POST (a send) or DELETE (leaving) on `/client/?hub=&id=`. */
  connection(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const hub = hubOf(url);
    if (!hub.ok) return text(res, 400, hub.error);
    const token = url.searchParams.get('id');
    const refusal = this.#checkCaller(req, url, hub.hub, token);
    if (refusal) return text(res, refusal.status, refusal.message);
    this.#dispatcher.request(req, res, token, hub.hub, (status, message) => text(res, status, message));
  }

  /** A WebSocket upgrade on `/client/?hub=` (with `id` after a negotiate; without, when the client skipped negotiation). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const refuse = (status: number, message: string) => refuseUpgrade(socket, status, message);
    const hub = hubOf(url);
    if (!hub.ok) return refuse(400, hub.error);
    let token = url.searchParams.get('id');
    if (token === null) {
      // skipNegotiation: authenticate here and negotiate on the client's behalf.
      const auth = this.#o.authenticate(req, url, hub.hub);
      if (!auth.ok) return refuse(auth.status, auth.message);
      if (!this.#o.runtime.hasCapacity()) return refuse(429, 'The connection limit of this resource has been reached.');
      if (this.#awaitingHandshake >= this.#maxPending) return refuse(429, PENDING_LIMIT_TEXT);
      const ids = newConnectionIds();
      const query = queryWithout(url, []);
      token = ids.connectionToken;
      const identity = auth.identity;
      if (!this.#dispatcher.register(token, hub.hub, identity.userId, (transport) => this.#session({ hub: hub.hub, connectionId: ids.connectionId, identity, query, transport, requestHeaders: req.headers, remoteAddress: req.socket.remoteAddress }))) {
        return refuse(429, PENDING_LIMIT_TEXT);
      }
    } else {
      const refusal = this.#checkCaller(req, url, hub.hub, token);
      if (refusal) return refuse(refusal.status, refusal.message);
    }
    this.#dispatcher.upgrade(token, hub.hub, (accepted) => acceptWebSocket(this.#wss, req, socket, head, this.#o.log, accepted), refuse);
  }

  /** Ends every client connection (service shutdown): a Close that lets clients reconnect elsewhere. */
  close(reason = 'The service is shutting down.'): void {
    for (const s of [...this.#sessions]) s.close(reason, true);
    this.#dispatcher.closeAll();
    this.#clock.stop();
    this.#wss.close();
  }

  /** The same user as the negotiate, with a token valid for this hub. */
  #checkCaller(req: IncomingMessage, url: URL, hub: string, token: string | null): { status: number; message: string } | undefined {
    if (token === null) return undefined; // the dispatcher answers 400
    const negotiated = this.#dispatcher.ownerOf(token);
    if (!negotiated.found) return { status: 404, message: 'No Connection with that ID' };
    const auth = this.#o.authenticate(req, url, hub);
    if (!auth.ok) return auth;
    if (auth.identity.userId !== negotiated.owner) return { status: 403, message: 'The access token belongs to another user than the connection.' };
    return undefined;
  }

  #session(info: ClientConnectionInfo): DispatchedConnection {
    const o = this.#o;
    // A transport the token does not allow gets the SignalRSession, which refuses it at the handshake.
    const relayed = transportAllowed(info.identity, info.transport) ? o.relay?.(info) : undefined;
    if (relayed) return relayed;
    const transferFormats = info.transport === 'ServerSentEvents' ? (['Text'] as const) : (['Text', 'Binary'] as const);
    let connected = false;
    let awaiting = true;
    this.#awaitingHandshake++;
    const handshakeDone = () => {
      if (!awaiting) return;
      awaiting = false;
      this.#awaitingHandshake--;
    };
    const session: SignalRSession = new SignalRSession({
      opened: (s) => {
        handshakeDone();
        if (!transportAllowed(info.identity, info.transport)) return `The transport ${info.transport} is not allowed by the access token.`;
        const refusal = o.runtime.connected(info, s);
        if (refusal !== undefined) return refusal;
        connected = true;
        this.#sessions.add(s);
        return undefined;
      },
      message: (s, frame: DecodedFrame) => o.runtime.message(info, s, frame),
      ended: (s, error) => {
        handshakeDone();
        if (!connected) return;
        this.#sessions.delete(s);
        try {
          o.runtime.disconnected(info, s, error);
        } catch (err) {
          o.log.warn({ err, connectionId: info.connectionId }, 'disconnect handling failed');
        }
      },
    }, {
      connectionId: info.connectionId, clock: this.#clock, transferFormats,
      maxMessageBytes: o.maxMessageBytes, keepAliveMs: o.keepAliveMs, clientTimeoutMs: o.clientTimeoutMs, handshakeTimeoutMs: info.identity.handshakeTimeoutMs ?? o.handshakeTimeoutMs,
    });
    return session;
  }
}

function transportAllowed(identity: ClientIdentity, transport: TransportName): boolean {
  const raw = identity.claims['asrs.s.htt'];
  const mask = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof mask !== 'number' || !Number.isInteger(mask) || mask < 1 || mask > 7) return true;
  return (mask & TRANSPORT_BITS[transport]) !== 0;
}

/** The connect query as upstream sees it (`?hub=chat&foo=bar`), without transport plumbing. */
function queryWithout(url: URL, names: string[]): string {
  const q = new URLSearchParams(url.search);
  for (const n of [...names, 'id', 'access_token', '_']) q.delete(n);
  const s = q.toString();
  return s ? `?${s}` : '';
}

function text(res: ServerResponse, status: number, message: string, headers?: Record<string, string>): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(message);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length }).end(bytes);
}

function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = Buffer.from(message);
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Refused'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${message}`);
}
