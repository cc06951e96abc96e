/**
 * The data-plane REST APIs are one fastify catch-all each (`/api/*`) that routes the raw path
 * itself; the pattern fastify matched says nothing. Those routers name the operation pattern they
 * matched (`/api/hubs/{hub}/:send`) here, for the REST metrics' `route` label. Keyed weakly by
 * the request, so nothing outlives it.
 */
import type { IncomingMessage } from 'node:http';

const names = new WeakMap<IncomingMessage, string>();

/** Called by a router that matched `pattern` (a route template, never the request's own path). */
export function nameRoute(req: IncomingMessage, pattern: string): void {
  names.set(req, pattern);
}

export function routeNameOf(req: IncomingMessage): string | undefined {
  return names.get(req);
}
