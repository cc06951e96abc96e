/**
 * Label values must stay few: a label taking client-chosen values (connection ids, user ids, hub
 * names, arbitrary URLs) would create a series per value and exhaust the scraper. Every label
 * value Lapis emits goes through one of these.
 */

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The HTTP method, or `OTHER` for anything a client made up. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}

/** `2xx`, `4xx`, …: the status class. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/** The route pattern fastify matched (`/api/hubs/:hub/:groups`), never the URL a client sent. */
export function routeLabel(pattern: string | undefined): string {
  return pattern === undefined || pattern === '' ? 'unmatched' : pattern;
}
