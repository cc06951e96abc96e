import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/index.ts';
import type { IdentityService } from '../identity/index.ts';
import { mountPortalFiles } from './static-files.ts';
import { ensurePortalApp } from './portal-app.ts';

export { PORTAL_CSP, portalCsp } from './static-files.ts';
export { ensurePortalApp, PORTAL_APP_NAME } from './portal-app.ts';

/** Where `npm run build:portal` writes the single-page app. */
export const PORTAL_DIST = fileURLToPath(new URL('../../portal/dist/', import.meta.url));

export interface PortalOptions {
  store: Store;
  identity: IdentityService;
  tenantId: string;
  subscriptionId: string;
  /** The origin users reach this node (or the cluster) by: the portal lives at `{httpsUrl}/portal/`. */
  httpsUrl: string;
  authorityHost: string;
  dist?: string;
  /** Other origins the portal's scripts call (each Key Vault's data plane); read per page load. */
  connectOrigins?: () => readonly string[];
}

/** The origin (scheme, host, port) of a URL, as browsers compare them for CORS. */
export const originOf = (url: string) => new URL(url).origin;

/** What the SPA needs to sign in and find its APIs; none of it is secret. */
export interface PortalConfig {
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  authorityHost: string;
  portalUrl: string;
}

export const portalUrlOf = (httpsUrl: string) => `${httpsUrl.replace(/\/+$/, '')}/portal/`;

/**
 * Mounts the portal on the main HTTPS listener: its app registration (SPA redirect URI
 * `{httpsUrl}/portal/`), `GET /portal/config.json`, and the built files. Returns the portal URL.
 */
export async function mountPortal(app: FastifyInstance, o: PortalOptions): Promise<string> {
  const portalUrl = portalUrlOf(o.httpsUrl);
  const clientId = await ensurePortalApp(o.store, o.identity, o.tenantId, portalUrl);
  const config: PortalConfig = { tenantId: o.tenantId, subscriptionId: o.subscriptionId, clientId, authorityHost: o.authorityHost.replace(/\/+$/, ''), portalUrl };
  app.get('/portal/config.json', async (_req, reply) => reply.header('cache-control', 'no-store').send(config));
  mountPortalFiles(app, o.dist ?? PORTAL_DIST, o.connectOrigins);
  return portalUrl;
}
