/**
 * REST calls of a resource's data plane in the live trace: one event per answered `/api/…`
 * request (method, path without its query, status, error code, duration). The hook returns at
 * once while nobody watches. Requests a fast lane answered (src/net/fast-lane.ts) are traced the
 * same way by an observer.
 */
import type { FastifyInstance } from 'fastify';
import { observeFastLane } from '../net/index.ts';
import type { ResourceTrace } from './bus.ts';

const HUB_IN_PATH = /^\/api\/(?:v1\/)?hubs\/([^/]+)/i;

export function traceRestCalls(app: FastifyInstance, trace: ResourceTrace): void {
  app.addHook('onResponse', (req, reply, done) => {
    if (trace.on) {
      const code = reply.getHeader('x-ms-error-code');
      emitRestCall(trace, req.method, req.raw.url ?? '/', reply.statusCode, typeof code === 'string' ? code : undefined, reply.elapsedTime);
    }
    done();
  });
  observeFastLane(app, (a) => {
    if (trace.on) emitRestCall(trace, a.method, a.url, a.status, a.errorCode, a.ms);
  });
}

function emitRestCall(trace: ResourceTrace, method: string, raw: string, status: number, errorCode: string | undefined, ms: number): void {
  const path = raw.split('?')[0]!;
  if (!path.startsWith('/api/')) return;
  let hub: string | undefined;
  try {
    const m = HUB_IN_PATH.exec(path);
    hub = m ? decodeURIComponent(m[1]!).toLowerCase() : undefined;
  } catch {
    hub = undefined;
  }
  trace.emit({
    category: 'rest', event: 'restCall', hub, status,
    reason: errorCode,
    detail: `${method} ${path.length > 300 ? `${path.slice(0, 300)}…` : path}`,
    durationMs: Math.round(ms * 10) / 10,
  });
}
