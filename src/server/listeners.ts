import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.ts';

export interface ListenerSpec {
  name: string;
  tls?: { key: string; cert: string };
  log: Logger;
}

/** Largest request body any listener accepts; routes may set smaller limits. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * One fastify instance per listening socket. Pieces register their routes on the instances of
 * the origin they belong to (main origin: identity, management, MI; a resource's own origin: its
 * data plane), which keeps each origin's URL space exactly as Azure's.
 */
export function createListener(spec: ListenerSpec): FastifyInstance {
  const app = Fastify({
    loggerInstance: spec.log.child({ listener: spec.name }),
    disableRequestLogging: true,
    bodyLimit: MAX_BODY_BYTES,
    // Azure tolerates a trailing slash on some paths (the MI endpoint gets one from MSAL).
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: 1024 },
    maxRequestsPerSocket: 0,
    return503OnClosing: true,
    forceCloseConnections: true,
    ...(spec.tls ? { https: { key: spec.tls.key, cert: spec.tls.cert } } : {}),
  }) as unknown as FastifyInstance;
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 500) req.log.warn({ req, res: reply }, 'request failed');
    else req.log.debug({ req, res: reply, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  return app;
}

export function registerHealth(app: FastifyInstance): void {
  // GET also answers HEAD (fastify exposes HEAD for every GET route by default).
  app.get('/api/health', async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'Healthy' }));
}

export async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port });
  return (app.server.address() as AddressInfo).port;
}
