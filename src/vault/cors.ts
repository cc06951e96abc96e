/**
 * Cross-origin calls from the Lapis portal. The portal (on the main HTTPS origin) calls each
 * vault's own origin with the signed-in user's bearer token, as Azure's portal calls
 * `https://<vault>.vault.azure.net`. Only the origins the node names (the portal's) are allowed;
 * any other origin gets no CORS headers, so browsers keep refusing its scripts the answers.
 * Preflights are answered without a token (browsers send none); everything else is authorised as usual.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KV } from './errors.ts';

const ALLOWED_METHODS = 'GET, PUT, PATCH, DELETE, POST';
const ALLOWED_HEADERS = 'authorization, content-type, x-ms-client-request-id';
/** The challenge (for a 401) and the ids the SDKs log. */
const EXPOSED_HEADERS = 'WWW-Authenticate, x-ms-request-id, x-ms-keyvault-service-version';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** True when the request comes from an allowed origin; then the answer carries CORS headers. */
export function applyCors(req: FastifyRequest, reply: FastifyReply, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  reply.header('vary', 'Origin');
  if (typeof origin !== 'string' || !allowed.some((o) => o.toLowerCase() === origin.toLowerCase())) return false;
  reply.header('access-control-allow-origin', origin);
  reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  return true;
}

/** A preflight: 204 with what the portal may send when its origin is allowed; otherwise the vault's 405. */
export function answerPreflight(req: FastifyRequest, reply: FastifyReply, allowed: readonly string[]): FastifyReply {
  if (!applyCors(req, reply, allowed) || typeof req.headers['access-control-request-method'] !== 'string') throw KV.methodNotAllowed();
  return reply.code(204)
    .header('access-control-allow-methods', ALLOWED_METHODS)
    .header('access-control-allow-headers', ALLOWED_HEADERS)
    .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS))
    .send();
}
