import type { FastifyReply, FastifyRequest } from 'fastify';
import { E, MI, type EntraError } from './errors.ts';

/** Identity paths that exist, with the methods they answer (fastify adds HEAD to every GET). */
const GET_ONLY = [
  /^\/[^/]+\/(?:v2\.0\/)?\.well-known\/openid-configuration$/i,
  /^\/(?:[^/]+\/)?discovery\/(?:v2\.0\/)?keys$/i,
  /^\/common\/discovery\/instance$/i,
];
const TOKEN = /^\/[^/]+\/oauth2\/(?:v2\.0\/)?token$/i;
/** Interactive endpoints: the device authorization endpoint takes POST; the pages take GET and POST. */
const DEVICE_CODE = /^\/[^/]+\/oauth2\/(?:v2\.0\/)?devicecode$/i;
const PAGES = /^(?:\/[^/]+\/oauth2\/v2\.0\/(?:authorize|logout)|\/devicelogin)$/i;
/** The managed-identity endpoints on the plain HTTP listener. */
const MSI = /^\/(?:msi\/token|metadata\/identity\/oauth2\/token)$/i;

/**
 * What Entra's origin answers for a path or method it does not serve: the AADSTS shape, 405 for a
 * known endpoint called with the wrong method, 404 otherwise.
 */
export function entraFallbackError(method: string, path: string): EntraError {
  const p = path.replace(/\/+$/, '') || '/';
  if (TOKEN.test(p) || DEVICE_CODE.test(p)) return E.postOnly(method);
  if (PAGES.test(p)) return E.methodNotAllowed(method, 'GET, POST');
  if (GET_ONLY.some((r) => r.test(p))) return E.methodNotAllowed(method, 'GET');
  return E.endpointNotFound(p);
}

export function sendEntraFallback(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = entraFallbackError(req.method, req.url.split('?')[0]!);
  const path = req.url.split('?')[0]!;
  if (err.status === 405) void reply.header('allow', TOKEN.test(path) || DEVICE_CODE.test(path) ? 'POST' : PAGES.test(path) ? 'GET, HEAD, POST' : 'GET, HEAD');
  return reply.code(err.status).header('cache-control', 'no-store').send(err.body());
}

/**
 * The plain HTTP listener (health and managed identity) answers unknown paths and methods in the
 * managed-identity endpoints' own shape, `{ error, error_description }`.
 */
export function sendPlainFallback(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = (req.url.split('?')[0] ?? '/').replace(/\/+$/, '') || '/';
  const known = MSI.test(path) || path.toLowerCase() === '/api/health' || path === '/metrics';
  const err = known ? MI.methodNotAllowed(path, req.method) : MI.notFound(path);
  if (known) void reply.header('allow', 'GET, HEAD');
  return reply.code(err.status).send(err.body());
}
