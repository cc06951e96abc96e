/**
 * The client endpoint on a resource origin's fastify app: negotiate and the connection URL are
 * handed to the endpoint on the raw request (long polls are held, POSTed sends are streamed, so
 * fastify neither parses bodies nor answers for these routes), with browser CORS as Azure allows
 * it (the resource's `cors.allowedOrigins`; credentials, so the origin is echoed, never `*`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { guardSocket } from '../../../net/index.ts';
import type { SignalRClientEndpoint } from './endpoint.ts';

const ALLOW_HEADERS = 'authorization, content-type, x-requested-with, x-signalr-user-agent';

export interface ClientHttpOptions {
  endpoint: SignalRClientEndpoint;
  allowedOrigins(): readonly string[];
  log: Logger;
}

/** Registers the routes; returns the upgrade handler for the origin's server. */
export function mountClientEndpoint(app: FastifyInstance, o: ClientHttpOptions): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  void app.register(async (scope) => {
    // The endpoint reads request bodies itself (bounded): leave the stream untouched.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    const route = (method: 'GET' | 'POST' | 'DELETE' | 'OPTIONS', url: string, handle: (req: IncomingMessage, res: ServerResponse, u: URL) => void) => {
      scope.route({
        method, url, exposeHeadRoute: false,
        handler: (req, reply) => {
          reply.hijack();
          const res = reply.raw;
          if (!cors(req.raw, res, o.allowedOrigins())) return void res.writeHead(403, { 'content-type': 'text/plain' }).end('This origin is not allowed by the resource\'s CORS settings.');
          handle(req.raw, res, new URL(req.raw.url ?? '/', 'http://localhost'));
        },
      });
    };
    const preflight = (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(204).end();
    route('POST', '/client/negotiate', (req, res, u) => o.endpoint.negotiate(req, res, u));
    route('OPTIONS', '/client/negotiate', preflight);
    for (const m of ['GET', 'POST', 'DELETE'] as const) route(m, '/client/', (req, res, u) => o.endpoint.connection(req, res, u));
    route('OPTIONS', '/client/', preflight);
  });
  return (req, socket, head) => {
    guardSocket(socket, o.log, 'signalr client upgrade');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuse(socket, 400, 'The request target is not a valid URL.');
    }
    if (url.pathname !== '/client/' && url.pathname !== '/client') return refuse(socket, 404, 'No WebSocket endpoint at this path: use /client/?hub=<hub>.');
    o.endpoint.upgrade(req, socket, head, url);
  };
}

/** Adds CORS headers for an allowed browser origin; false when the origin is not allowed. */
function cors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return true; // not a browser cross-origin request
  const ok = allowed.includes('*') || allowed.some((a) => a.toLowerCase() === origin.toLowerCase());
  if (!ok) return false;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-allow-credentials', 'true');
  res.setHeader('vary', 'Origin');
  if (req.method === 'OPTIONS') {
    res.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
    res.setHeader('access-control-allow-headers', ALLOW_HEADERS);
    res.setHeader('access-control-max-age', '600');
  }
  return true;
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ code: status === 404 ? 'NotFound' : 'BadRequest', message });
  socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
