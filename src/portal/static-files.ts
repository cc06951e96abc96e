import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The longest path under /portal/ we look at: anything longer is no file of ours. */
const MAX_PORTAL_PATH = 512;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/**
 * No inline script, no eval, nothing from elsewhere: the SPA talks only to this origin (identity,
 * ARM, Graph) and to the origins `portalCsp` adds (each Key Vault's own, for its data plane).
 * Fluent UI injects its styles at run time (Griffel), hence style-src 'unsafe-inline'.
 */
export const PORTAL_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
  "font-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'",
].join('; ');

/** PORTAL_CSP with more `connect-src` origins (validated: `https://host[:port]` only). */
export function portalCsp(connectOrigins: readonly string[]): string {
  const extra = connectOrigins.filter((o) => /^https:\/\/[a-z0-9.\-\[\]:]{1,300}$/i.test(o));
  return extra.length === 0 ? PORTAL_CSP : PORTAL_CSP.replace("connect-src 'self'", `connect-src 'self' ${extra.join(' ')}`);
}

function secured(connectOrigins: () => readonly string[]) {
  return (reply: FastifyReply): FastifyReply => reply
    .header('content-security-policy', portalCsp(connectOrigins()))
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

const NOT_BUILT = (dist: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lapis portal not built</title></head>
<body><h1>The Lapis portal has not been built</h1>
<p>No files were found in <code>${dist.replace(/[<>&]/g, '')}</code>. Build it with <code>npm run build:portal</code>
(<code>npm install</code> does this through its <code>prepare</code> script), then reload this page.</p></body></html>`;

/**
 * Serves the built single-page app under /portal/: hashed assets (immutable for a year), any other
 * path falls back to index.html (never cached, so a new build is picked up at once).
 */
export function mountPortalFiles(app: FastifyInstance, dist: string, connect: () => readonly string[] = () => []): void {
  const security = secured(connect);
  const root = normalize(dist + sep);
  const sendIndex = async (reply: FastifyReply) => {
    const index = join(root, 'index.html');
    if (!existsSync(index)) {
      return security(reply).code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT(root));
    }
    return security(reply).header('cache-control', 'no-cache').type(TYPES['.html']!).send(await readFile(index));
  };
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0]!;
    // /portal (no slash) → /portal/, so relative asset URLs and the registered redirect URI line up.
    if (path === '/portal') return reply.redirect('/portal/', 301);
    const rel = path.slice('/portal/'.length);
    if (rel.length > MAX_PORTAL_PATH) return sendIndex(reply);
    let decoded: string;
    try {
      decoded = decodeURIComponent(rel);
    } catch {
      return sendIndex(reply);
    }
    const file = normalize(join(root, decoded));
    // Only files inside dist, and only ones with a known type; the rest is the SPA's own route.
    const type = TYPES[extname(file).toLowerCase()];
    if (!file.startsWith(root) || decoded.includes('\0') || !type || file === join(root, 'index.html')) return sendIndex(reply);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      // A missing asset is a 404, not index.html: a stale page must not run HTML as script.
      if (decoded.startsWith('assets/')) return security(reply).code(404).header('cache-control', 'no-store').type('text/plain').send('Not found');
      return sendIndex(reply);
    }
    const immutable = decoded.startsWith('assets/');
    return security(reply)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(type).send(await readFile(file));
  };
  app.get('/portal', handler);
  app.get('/portal/*', handler);
}
