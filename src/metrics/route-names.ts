/**
 * The data-plane REST APIs are one fastify catch-all each (`/api/*`) that routes the raw path
 * itself; the pattern fastify matched says nothing. Those routers name the operation pattern they
 * matched (`/api/hubs/{hub}/:send`) here, for the REST metrics' `route` label. Kept on the request
 * itself under a symbol (a WeakMap entry per request showed in the REST profile), so nothing
 * outlives it.
 */
import type { IncomingMessage } from 'node:http';

const ROUTE_NAME = Symbol('lapis.routeName');

type Named = IncomingMessage & { [ROUTE_NAME]?: string };

/** Called by a router that matched `pattern` (a route template, never the request's own path). */
export function nameRoute(req: IncomingMessage, pattern: string): void {
  (req as Named)[ROUTE_NAME] = pattern;
}

export function routeNameOf(req: IncomingMessage): string | undefined {
  return (req as Named)[ROUTE_NAME];
}
