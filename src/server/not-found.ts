import type { FastifyInstance } from 'fastify';
import { sendEntraFallback, sendPlainFallback } from '../identity/fallback.ts';
import { ARM_ROOTS, sendArmFallback } from '../control/arm/fallback.ts';
import { sendGraphFallback } from '../control/graph/fallback.ts';

/**
 * Unknown routes and methods on the main HTTPS origin get the error body of the surface that owns
 * the path, never fastify's default: ARM under /subscriptions, /providers, /tenants; Graph under
 * /v1.0 and /beta; Entra (AADSTS) for everything else, since this origin is the authority host.
 */
export function mainHttpsNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    const first = req.url.split('?')[0]!.split('/')[1]?.toLowerCase() ?? '';
    if (ARM_ROOTS.has(first)) return sendArmFallback(req, reply);
    if (first === 'v1.0' || first === 'beta') return sendGraphFallback(req, reply);
    if (first === 'api') return sendPlainFallback(req, reply);
    return sendEntraFallback(req, reply);
  });
}

/** The plain HTTP listener (health, managed identity): the managed-identity error shape. */
export function mainHttpNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => sendPlainFallback(req, reply));
}
