/**
 * Errors fastify raises before any route or hook runs (a URL that is not valid percent-encoding,
 * a path parameter over the length limit) bypass the error handlers a piece sets on its app. The
 * piece that owns an origin registers its answer here, so those too come in its surface's shape.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type OriginErrorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => void;

const handlers = new WeakMap<FastifyInstance, OriginErrorHandler>();

export function setOriginErrorHandler(app: FastifyInstance, handler: OriginErrorHandler): void {
  handlers.set(app, handler);
}

/** Used by the listener: the origin's handler, or fastify's own answer when none is set. */
export function answerFrameworkError(app: FastifyInstance, err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const handler = handlers.get(app);
  if (handler) handler(err, req, reply);
  else reply.send(err);
}
