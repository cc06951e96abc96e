/**
 * REST calls of a resource's data plane in the live trace: one event per answered `/api/…`
 * request (method, path without its query, status, error code, duration). The hook returns at
 * once while nobody watches.
 */
import type { FastifyInstance } from 'fastify';
import type { ResourceTrace } from './bus.ts';

const HUB_IN_PATH = /^\/api\/(?:v1\/)?hubs\/([^/]+)/i;

export function traceRestCalls(app: FastifyInstance, trace: ResourceTrace): void {
  app.addHook('onResponse', (req, reply, done) => {
    if (trace.on) {
      const raw = req.raw.url ?? '/';
      const path = raw.split('?')[0]!;
      if (path.startsWith('/api/')) {
        let hub: string | undefined;
        try {
          const m = HUB_IN_PATH.exec(path);
          hub = m ? decodeURIComponent(m[1]!).toLowerCase() : undefined;
        } catch {
          hub = undefined;
        }
        const code = reply.getHeader('x-ms-error-code');
        trace.emit({
          category: 'rest', event: 'restCall', hub, status: reply.statusCode,
          reason: typeof code === 'string' ? code : undefined,
          detail: `${req.method} ${path.length > 300 ? `${path.slice(0, 300)}…` : path}`,
          durationMs: Math.round(reply.elapsedTime * 10) / 10,
        });
      }
    }
    done();
  });
}
