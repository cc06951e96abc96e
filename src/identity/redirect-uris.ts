import type { Application } from './model.ts';

export const MAX_REDIRECT_URI = 2048;

/** Which registration a redirect URI matched: public ones (desktop, SPA) may redeem codes without a secret. */
export type RedirectKind = 'publicClient' | 'spa' | 'web';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function parse(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

/**
 * Entra's matching: exact, except that for an `http` loopback redirect URI the port is ignored
 * (native apps listen on whatever port is free, RFC 8252 §7.3), so a registered
 * `http://localhost` matches `http://localhost:53214` and `http://localhost:53214/`.
 */
export function redirectMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  const r = parse(registered);
  const q = parse(requested);
  if (!r || !q || r.protocol !== 'http:' || q.protocol !== 'http:') return false;
  if (!LOOPBACK_HOSTS.has(r.hostname) || r.hostname !== q.hostname) return false;
  const path = (u: URL) => u.pathname.replace(/\/+$/, '') || '/';
  return path(r) === path(q) && r.search === q.search && !q.username && !q.password && !q.hash;
}

/** The registration the redirect URI matches, or undefined when it is not registered. */
export function matchRedirect(app: Application, requested: string): RedirectKind | undefined {
  if (!requested || requested.length > MAX_REDIRECT_URI || !parse(requested)) return undefined;
  const kinds: [RedirectKind, string[] | undefined][] = [
    ['publicClient', app.publicClient?.redirectUris], ['spa', app.spa?.redirectUris], ['web', app.web?.redirectUris],
  ];
  for (const [kind, uris] of kinds) if (uris?.some((u) => redirectMatches(u, requested))) return kind;
  return undefined;
}

/** Where sign-out may return the browser: a registered redirect URI or the web logout URL. */
export function logoutTargetAllowed(app: Application, requested: string): boolean {
  if (app.web?.logoutUrl && redirectMatches(app.web.logoutUrl, requested)) return true;
  return matchRedirect(app, requested) !== undefined;
}
