import type { FastifyReply, FastifyRequest } from 'fastify';
import { ARM } from './errors.ts';

/** First path segments that belong to Azure Resource Manager on the main origin. */
export const ARM_ROOTS = new Set(['subscriptions', 'providers', 'tenants', 'resourcegroups', 'locations']);

/**
 * ARM's answer for a route or method the management routes do not serve: 405 MethodNotAllowed
 * when the path is one ARM serves (they take GET, PUT, PATCH, POST and DELETE), 404 NotFound
 * otherwise; always `{ error: { code, message } }`.
 */
export function sendArmFallback(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = req.url.split('?')[0]!;
  const seg = path.split('/')[1]?.toLowerCase() ?? '';
  const served = seg === 'subscriptions' || seg === 'providers' || seg === 'tenants';
  const err = served ? ARM.methodNotAllowed(req.method) : ARM.notFound(path);
  if (err.status === 405) void reply.header('allow', 'GET, PUT, PATCH, POST, DELETE');
  return reply.code(err.status).send(err.body());
}
