import Fastify, { LogController } from 'fastify';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.ts';
import { answerClientError, answerFrameworkError, guardServer, runFastLane } from '../net/index.ts';

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
  tls?: { key: string; cert: string };
  log: Logger;
  /** Used when `port` is busy and the port was not set by the operator (a remembered one). */
  fallbackToFreePort?: boolean;
  /** Answers requests fastify refuses before routing (a malformed URL) in the origin's error shape. */
  frameworkErrors?: FastifyServerOptions['frameworkErrors'];
}

export interface Listener {
  name: string;
  app: FastifyInstance;
  port: number;
  /** Closes fastify, every open connection (WebSockets included) and the socket. */
  close(): Promise<void>;
}

/** Largest request body any listener accepts; routes may set smaller limits. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * One fastify instance per listening socket. The socket is bound first, so a port of 0 is known
 * before routes are registered (issuer URLs and endpoints contain it). Pieces register routes
 * on the listeners of the origin they belong to (main origin: identity, management, MI; each
 * resource's own origin: its data plane), keeping each origin's URL space exactly as Azure's.
 */
export async function openListener(spec: ListenerSpec): Promise<Listener> {
  const server: Server = spec.tls
    ? createHttpsServer({ key: spec.tls.key, cert: spec.tls.cert }) as unknown as Server
    : createHttpServer();
  // Before the socket is bound: every connection this server will ever accept is guarded.
  const guard = guardServer(server, spec.log, spec.name);
  const port = await bind(server, spec.host, spec.port).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE' || !spec.fallbackToFreePort) {
      throw new Error(`cannot listen on ${spec.host}:${spec.port} for ${spec.name}: ${err.code ?? err.message}`);
    }
    spec.log.warn({ listener: spec.name, port: spec.port }, 'remembered port is busy; using a free one');
    return bind(server, spec.host, 0);
  });
  let serving = false;
  let closing = false;
  const log = spec.log.child({ listener: spec.name });
  const app = Fastify({
    loggerInstance: log,
    // Per-request lines are written by the onResponse hook below (debug), not by fastify.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (pino's child + redaction showed in the REST profile); errors
    // are still logged with the request's method and redacted URL by the hook below.
    childLoggerFactory: (logger) => logger,
    bodyLimit: MAX_BODY_BYTES,
    // Azure tolerates a trailing slash on some paths (MSAL adds one to the IMDS URL).
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: 1024 },
    return503OnClosing: true,
    clientErrorHandler: (err, socket) => answerClientError(err, socket, spec.log, spec.name),
    // Malformed URLs are answered in the origin's own error shape, never with a body fastify writes
    // by itself: the listener's `frameworkErrors` when given, else what the piece mounted on this
    // app registered (src/net/origin-errors.ts), else fastify's error handler.
    frameworkErrors: (err, req, reply) => {
      if (spec.frameworkErrors) spec.frameworkErrors(err, req, reply);
      else answerFrameworkError(app, err, req, reply);
    },
    forceCloseConnections: true,
    serverFactory: (handler) => {
      // The socket is bound before the routes are registered (the port must be known first): a
      // request that arrives in between (a load balancer's probe, a client retrying) would reach
      // fastify before it is ready and throw outside any handler, ending the process. Until
      // fastify is ready it gets a 503 the SDKs retry.
      server.on('request', (req, res) => {
        if (!serving) answerStarting(res);
        // A piece's fast lane first (src/net/fast-lane.ts); closing, everything goes to fastify's 503.
        else if (closing || !runFastLane(app, req, res)) handler(req, res);
      });
      return server;
    },
  }) as unknown as FastifyInstance;
  app.addHook('onReady', async () => { serving = true; });
  // A callback hook (no promise per request), and the debug line built only when debug is on.
  app.addHook('onResponse', (req, reply, done) => {
    if (reply.statusCode >= 500) req.log.warn({ req, res: reply }, 'request failed');
    else if (log.isLevelEnabled('debug')) req.log.debug({ req, res: reply, ms: Math.round(reply.elapsedTime) }, 'request');
    done();
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    closing = true;
    await app.close();
    server.closeAllConnections();
    guard.destroyAll();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { name: spec.name, app, port, close };
}

function answerStarting(res: import('node:http').ServerResponse): void {
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1', connection: 'close' });
  res.end(JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'This Lapis origin is starting; try again in a moment.' } }));
}

function bind(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => { server.off('listening', onListening); reject(err); };
    const onListening = () => { server.off('error', onError); resolve((server.address() as AddressInfo).port); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port });
  });
}

export function registerHealth(app: FastifyInstance): void {
  // GET also answers HEAD (fastify exposes HEAD for every GET route by default).
  app.get('/api/health', async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'Healthy' }));
}
