import type { FastifyReply, FastifyRequest } from 'fastify';
import { GE } from './errors.ts';

/** The Graph routes Lapis serves, with their methods (HEAD comes with GET). */
const ROUTES: [RegExp, string[]][] = [
  [/^\/v1\.0\/applications$/i, ['GET', 'POST']],
  [/^\/v1\.0\/applications\/[^/]+$/i, ['GET', 'PATCH', 'DELETE']],
  [/^\/v1\.0\/applications\/[^/]+\/(?:addPassword|removePassword|addKey|removeKey)$/i, ['POST']],
  [/^\/v1\.0\/applications\/[^/]+\/keyCredentials$/i, ['GET']],
  [/^\/v1\.0\/servicePrincipals$/i, ['GET']],
  [/^\/v1\.0\/servicePrincipals\/[^/]+$/i, ['GET']],
  [/^\/v1\.0\/users$/i, ['GET', 'POST']],
  [/^\/v1\.0\/users\/[^/]+$/i, ['GET', 'PATCH']],
  [/^\/v1\.0\/(?:servicePrincipals|applications)\(appId='[^'/]+'\)$/i, ['GET']],
];

/**
 * Graph's answer for a route or method it does not serve, in Graph's shape: 405 for a known path
 * with another method, and, as Graph does, 400 BadRequest "Resource not found for the segment"
 * naming the first segment it does not know.
 */
export function sendGraphFallback(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = (req.url.split('?')[0] ?? '/').replace(/\/+$/, '');
  const route = ROUTES.find(([r]) => r.test(path));
  const cid = req.headers['client-request-id'];
  const err = route ? GE.methodNotAllowed() : GE.segmentNotFound(unknownSegment(path));
  if (route) void reply.header('allow', route[1].join(', '));
  return reply.code(err.status).send(err.body(typeof cid === 'string' ? cid.slice(0, 64) : undefined));
}

const COLLECTIONS = new Set(['applications', 'serviceprincipals', 'users']);

/** The first segment of `path` that no Graph route knows. */
function unknownSegment(path: string): string {
  const segs = path.split('/').filter(Boolean);
  if (segs.length < 2) return segs[0] ?? '';
  if (!COLLECTIONS.has(segs[1]!.toLowerCase())) return segs[1]!;
  return segs[3] ?? segs[2] ?? segs[1]!;
}
