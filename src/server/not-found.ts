import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { E, MI } from '../identity/errors.ts';
import { sendEntraFallback, sendPlainFallback } from '../identity/fallback.ts';
import { ARM } from '../control/arm/errors.ts';
import { ARM_ROOTS, sendArmFallback } from '../control/arm/fallback.ts';
import { GE } from '../control/graph/errors.ts';
import { sendGraphFallback } from '../control/graph/fallback.ts';

type Surface = 'arm' | 'graph' | 'plain' | 'entra';

/**
 * Which surface owns a path on the main HTTPS origin: ARM under /subscriptions, /providers,
 * /tenants; Graph under /v1.0 and /beta; health under /api; Entra (the authority host) for the rest.
 */
function surfaceOf(url: string): Surface {
  const first = url.split('?')[0]!.split('/')[1]?.toLowerCase() ?? '';
  if (ARM_ROOTS.has(first)) return 'arm';
  if (first === 'v1.0' || first === 'beta') return 'graph';
  if (first === 'api') return 'plain';
  return 'entra';
}

/** A request fastify refused before any route saw it (bad URL, unparsable body): the surface's 400. */
function sendRefusal(surface: Surface, err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const client = (err.statusCode ?? 500) < 500;
  if (!client) req.log.error({ err }, 'request failed');
  const why = err.code === 'FST_ERR_BAD_URL' ? 'The request path is not correctly percent-encoded.' : err.message.slice(0, 200);
  switch (surface) {
    case 'arm': {
      const a = client ? ARM.badRequest(why) : ARM.internal();
      return reply.code(a.status).send(a.body());
    }
    case 'graph': {
      const g = client ? GE.badRequest(why) : GE.internal();
      return reply.code(g.status).send(g.body());
    }
    case 'entra': {
      const e = client ? E.malformed(why) : E.serverError();
      return reply.code(e.status).header('cache-control', 'no-store').send(e.body());
    }
    default: {
      const m = client ? MI.malformed(why) : MI.serverError();
      return reply.code(m.status).send(m.body());
    }
  }
}

/**
 * Unknown routes and methods, and requests fastify refuses itself, on the main HTTPS origin get
 * the error body of the surface that owns the path, never fastify's default.
 */
export function mainHttpsNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    switch (surfaceOf(req.url)) {
      case 'arm': return sendArmFallback(req, reply);
      case 'graph': return sendGraphFallback(req, reply);
      case 'plain': return sendPlainFallback(req, reply);
      default: return sendEntraFallback(req, reply);
    }
  });
  app.setErrorHandler((err: FastifyError, req, reply) => sendRefusal(surfaceOf(req.url), err, req, reply));
}

/** The plain HTTP listener (health, managed identity): the managed-identity error shape. */
export function mainHttpNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => sendPlainFallback(req, reply));
  app.setErrorHandler((err: FastifyError, req, reply) => sendRefusal('plain', err, req, reply));
}

/** For fastify's `frameworkErrors` (a malformed URL is refused before routing and hooks). */
export const mainHttpsFrameworkErrors = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => { sendRefusal(surfaceOf(req.url ?? '/'), err, req, reply); };
export const mainHttpFrameworkErrors = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => { sendRefusal('plain', err, req, reply); };
