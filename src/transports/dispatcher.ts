/**
 * Routes the HTTP requests of ASP.NET Core's transport protocol to the connections they belong
 * to, by the connection token a negotiate handed out (`?id=`): a WebSocket upgrade, a Server-Sent
 * Events GET or the first long-polling GET starts the connection's one transport; later polls,
 * POSTed sends and DELETE find it. The rules and status codes are ASP.NET's
 * (HttpConnectionDispatcher): 400 without an id or on a change of transport, 404 for an unknown
 * id, 405 for a send to a WebSocket connection, 409 for a second concurrent request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { LongPollingTransport } from './long-polling.ts';
import { SseTransport } from './sse.ts';
import type { Transport, TransportEvents, TransportName } from './types.ts';
import { WebSocketTransport } from './websocket.ts';

/** What a connection is before its transport exists; the dispatcher attaches the transport. */
export interface DispatchedConnection extends TransportEvents {
  attach(transport: Transport): void;
}

export interface DispatcherOptions {
  maxBufferedBytes: number;
  /** Largest POSTed send accepted (413 past it). */
  maxSendBytes: number;
  pollTimeoutMs: number;
  inactivityTimeoutMs: number;
  /** A negotiated connection that never starts a transport is forgotten after this long. */
  startTimeoutMs: number;
  /** Most negotiated connections waiting for their first transport request (a negotiate flood stops here). */
  maxPendingStarts: number;
}

/** Built lazily at the first transport request, so that negotiate costs no session. */
export type ConnectionFactory = (transport: TransportName) => DispatchedConnection;

interface Entry {
  /** What the token was issued for (a hub): a request naming another scope does not find it. */
  scope: string;
  /** Who negotiated it (a user id): the caller checks later requests against it. */
  owner: string | undefined;
  create: ConnectionFactory;
  connection?: DispatchedConnection;
  transport?: Transport;
  busyPost: boolean;
  upgrading?: boolean;
  expiry: NodeJS.Timeout;
}

const LONG_POLLING_LINGER_MS = 10_000;

export type Reply = (status: number, message: string) => void;

export class TransportDispatcher {
  readonly #o: DispatcherOptions;
  readonly #entries = new Map<string, Entry>();
  #pendingStarts = 0;

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * After a successful negotiate: the token now names a connection that may start. False when too
   * many negotiated connections are still waiting to start (the caller refuses the negotiate).
   */
  register(token: string, scope: string, owner: string | undefined, create: ConnectionFactory): boolean {
    if (this.#pendingStarts >= this.#o.maxPendingStarts) return false;
    this.#pendingStarts++;
    const expiry = setTimeout(() => {
      const e = this.#entries.get(token);
      if (e && !e.connection) {
        this.#entries.delete(token);
        this.#pendingStarts--;
      }
    }, this.#o.startTimeoutMs);
    expiry.unref();
    this.#entries.set(token, { scope, owner, create, busyPost: false, expiry });
    return true;
  }

  /** Who negotiated a live token; `found` false once it is unknown, expired or over. */
  ownerOf(token: string): { found: boolean; owner?: string | undefined } {
    const e = this.#entries.get(token);
    return e ? { found: true, owner: e.owner } : { found: false };
  }

  /** Ends every transport and forgets every token (service shutdown). */
  closeAll(): void {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    this.#pendingStarts = 0;
    for (const e of entries) {
      clearTimeout(e.expiry);
      e.transport?.terminate();
    }
  }

  /** GET, POST or DELETE on the connection URL. */
  request(req: IncomingMessage, res: ServerResponse, token: string | null, scope: string, reply: Reply): void {
    if (!token) return reply(400, 'Connection ID required');
    const entry = this.#entries.get(token);
    if (!entry || entry.scope !== scope) return reply(404, 'No Connection with that ID');
    if (req.method === 'GET') return this.#get(req, res, token, entry, reply);
    if (req.method === 'POST') return this.#post(req, res, entry, reply);
    if (req.method === 'DELETE') {
      if (!(entry.transport instanceof LongPollingTransport)) return reply(400, 'Cannot terminate this connection using the DELETE endpoint.');
      entry.transport.remove();
      res.writeHead(202, { 'content-type': 'text/plain' }).end();
      return;
    }
    reply(405, 'Method not allowed');
  }

  /**
   * A WebSocket upgrade on the connection URL. `accept` completes the handshake (the caller's
   * guarded `acceptWebSocket`, so the socket has its error handling before we see it); `refuse`
   * answers on the raw socket.
   */
  upgrade(token: string | null, scope: string, accept: (accepted: (ws: WebSocket) => void) => void, refuse: Reply): void {
    if (!token) return refuse(400, 'Connection ID required');
    const entry = this.#entries.get(token);
    if (!entry || entry.scope !== scope) return refuse(404, 'No Connection with that ID');
    if (entry.transport || entry.upgrading) return refuse(entry.transport && entry.transport.name !== 'WebSockets' ? 400 : 409, 'Cannot change transports between requests.');
    entry.upgrading = true;
    accept((ws) => {
      const connection = this.#start(token, entry, 'WebSockets');
      const t = new WebSocketTransport(ws, this.#o, this.#events(token, connection));
      entry.transport = t;
      connection.attach(t);
    });
  }

  #get(req: IncomingMessage, res: ServerResponse, token: string, entry: Entry, reply: Reply): void {
    const wantsSse = (req.headers.accept ?? '').includes('text/event-stream');
    const existing = entry.transport;
    if (existing) {
      if (existing instanceof LongPollingTransport && !wantsSse) {
        if (existing.poll(req, res) === 'conflict') reply(409, 'Another poll is in progress.');
        return;
      }
      return reply(existing.name === (wantsSse ? 'ServerSentEvents' : 'LongPolling') ? 409 : 400, 'Cannot change transports between requests.');
    }
    if (wantsSse) {
      const connection = this.#start(token, entry, 'ServerSentEvents');
      const t = new SseTransport(req, res, this.#o, this.#events(token, connection));
      entry.transport = t;
      connection.attach(t);
      return;
    }
    const connection = this.#start(token, entry, 'LongPolling');
    const t = new LongPollingTransport(this.#o, this.#events(token, connection));
    entry.transport = t;
    connection.attach(t);
    t.poll(req, res);
  }

  #post(req: IncomingMessage, res: ServerResponse, entry: Entry, reply: Reply): void {
    const t = entry.transport;
    if (!t) return reply(404, 'No Connection with that ID'); // sends before any transport started
    if (t.name === 'WebSockets') return reply(405, 'POST requests are not allowed for WebSocket connections.');
    if (entry.busyPost) return reply(409, 'Another send request is in progress.');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.#o.maxSendBytes) return reply(413, 'The message is too large.');
    entry.busyPost = true;
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.#o.maxSendBytes && !refused) {
        refused = true;
        entry.busyPost = false;
        reply(413, 'The message is too large.');
        req.destroy();
      } else if (!refused) chunks.push(c);
    });
    req.on('error', () => {
      entry.busyPost = false;
    });
    req.on('end', () => {
      if (refused) return;
      entry.busyPost = false;
      (t as SseTransport | LongPollingTransport).receive(Buffer.concat(chunks, size));
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 0 }).end();
    });
  }

  #start(token: string, entry: Entry, name: TransportName): DispatchedConnection {
    clearTimeout(entry.expiry);
    this.#pendingStarts--;
    return (entry.connection = entry.create(name));
  }

  /** Forwards a transport's events to its connection and forgets the token when the transport ends. */
  #events(token: string, connection: DispatchedConnection): TransportEvents {
    return {
      data: (bytes, binary) => connection.data(bytes, binary),
      end: (why) => {
        const entry = this.#entries.get(token);
        // A long-polling client still collects what is left, then its 204 ("this connection is
        // over") and answers its DELETE: forget it a little later.
        if (entry?.transport instanceof LongPollingTransport) {
          setTimeout(() => this.#entries.delete(token), LONG_POLLING_LINGER_MS).unref();
        } else {
          this.#entries.delete(token);
        }
        connection.end(why);
      },
    };
  }
}
