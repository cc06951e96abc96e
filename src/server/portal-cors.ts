/**
 * Cross-origin calls from the Lapis portal to a Web PubSub or SignalR resource's own origin (the
 * portal's Explorer calls the data-plane REST API with the signed-in user's bearer token). Only
 * the portal's origin gets CORS headers; any other origin gets none, so browsers keep refusing its
 * scripts the answers. Preflights are answered without a token (browsers send none); every real
 * request is authenticated and authorised as usual.
 */
import type { FastifyInstance } from 'fastify';

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE';
const ALLOWED_HEADERS = 'authorization, content-type, x-ms-client-request-id';
const EXPOSED_HEADERS = 'x-ms-error-code, WWW-Authenticate, api-supported-versions';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export function allowPortalOrigin(app: FastifyInstance, portalOrigin: string): void {
  const allowed = portalOrigin.toLowerCase();
  const isPortal = (origin: unknown) => typeof origin === 'string' && origin.toLowerCase() === allowed;
  // A callback hook: the requests that do not come from the portal (all but a few) pay one
  // comparison, no promise.
  app.addHook('onRequest', (req, reply, done) => {
    if (!isPortal(req.headers.origin)) {
      done();
      return;
    }
    void reply.header('vary', 'Origin').header('access-control-allow-origin', req.headers.origin).header('access-control-expose-headers', EXPOSED_HEADERS);
    if (req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string') {
      reply.code(204)
        .header('access-control-allow-methods', ALLOWED_METHODS)
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS))
        .send();
      return;
    }
    done();
  });
}
