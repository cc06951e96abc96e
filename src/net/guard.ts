/**
 * Error handling for every socket Lapis accepts, attached where the socket is created and before
 * any other code sees it. A peer's socket error (reset, TLS alert, RFC 6455 violation) is that
 * peer's problem: it is logged at debug level and only that peer's socket goes away. An `'error'`
 * event with no listener would otherwise end the whole process.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';

/** Logs a peer's socket errors and destroys that socket. Idempotent per socket. */
export function guardSocket(socket: Duplex, log: Logger, where: string): void {
  const s = socket as Duplex & { [GUARDED]?: true };
  if (s[GUARDED]) return;
  s[GUARDED] = true;
  socket.on('error', peerErrorListener(log, where));
}

type SocketErrorListener = (this: Duplex, err: NodeJS.ErrnoException) => void;

/** One listener per logger and place, shared by every socket guarded there (not a closure per socket). */
function peerErrorListener(log: Logger, where: string): SocketErrorListener {
  let byPlace = peerErrorListeners.get(log);
  if (!byPlace) peerErrorListeners.set(log, (byPlace = new Map()));
  let listener = byPlace.get(where);
  if (!listener) {
    listener = function (this: Duplex, err: NodeJS.ErrnoException): void {
      log.debug({ err: err.message, code: err.code, where }, 'peer socket error');
      this.destroy();
    };
    byPlace.set(where, listener);
  }
  return listener;
}

const peerErrorListeners = new WeakMap<Logger, Map<string, SocketErrorListener>>();

/**
 * Marks a guarded socket (a property, not a WeakSet: thousands of live entries in a weak
 * collection made every young-generation GC walk them, on the connection-setup path).
 */
const GUARDED = Symbol('lapis.guarded');

/**
 * Guards a listening HTTP or HTTPS server: every accepted TCP socket and TLS session, TLS
 * handshake failures and errors of the listening socket itself after it is bound. Malformed HTTP
 * goes to `answerClientError`, installed as the HTTP framework's `clientError` handler (a second
 * `clientError` listener would answer twice).
 */
export function guardServer(server: Server, log: Logger, name: string): { destroyAll(): void } {
  // Every accepted socket, upgraded ones included (the HTTP server forgets those), so closing
  // the listener can end them all instead of waiting for peers that never hang up.
  const open = new Set<Socket>();
  const forget = function (this: Socket): void {
    open.delete(this);
  };
  server.on('connection', (socket: Socket) => {
    guardSocket(socket, log, `${name} connection`);
    open.add(socket);
    socket.on('close', forget); // one listener for every socket (`close` is emitted once)
  });
  server.on('secureConnection', (socket: TLSSocket) => guardSocket(socket, log, `${name} tls`));
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    log.debug({ err: err.message, listener: name }, 'TLS handshake failed');
    socket.destroy();
  });
  // Only after `listen` succeeded (bind errors are reported by the caller): e.g. EMFILE on accept.
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (server.listening) log.error({ err: err.message, code: err.code, listener: name }, 'listener error');
  });
  return {
    destroyAll() {
      for (const s of open) s.destroy();
      open.clear();
    },
  };
}

/** Malformed HTTP from a peer: a status line if the socket can still take it, then that socket goes. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, log: Logger, name: string): void {
  log.debug({ err: err.message, code: err.code, listener: name }, 'malformed HTTP request');
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
    : '400 Bad Request';
  // Written, then cut: a peer sending malformed HTTP does not get to hold the socket open.
  socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

/**
 * The only way Lapis turns an upgrade request into a WebSocket: the new WebSocket gets its error
 * listener before `accepted` runs, so a protocol violation arriving at any later moment (even
 * after Lapis has decided to close this socket) closes that one peer with the RFC 6455 code.
 */
export function acceptWebSocket(
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  log: Logger,
  accepted: (ws: WebSocket) => void,
): void {
  guardSocket(socket, log, 'websocket upgrade');
  if (socket.destroyed) return;
  const onError = protocolErrorLogger(log);
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', onError);
    accepted(ws);
  });
}

/** One `error` listener per logger, shared by all its WebSockets (not a closure per connection). */
function protocolErrorLogger(log: Logger): (err: Error & { code?: string }) => void {
  let listener = protocolErrorLoggers.get(log);
  if (!listener) {
    listener = (err) => {
      log.debug({ err: err.message, code: err.code }, 'websocket peer violated the protocol');
    };
    protocolErrorLoggers.set(log, listener);
  }
  return listener;
}

const protocolErrorLoggers = new WeakMap<Logger, (err: Error & { code?: string }) => void>();
