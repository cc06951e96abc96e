import type { Directory } from './directory.ts';
import { E } from './errors.ts';
import type { Tenant } from './model.ts';

/**
 * The first-party resources Lapis serves, by the identifiers Azure SDKs request tokens for.
 * Tokens for them are v1 (as Entra issues for Azure's own resources) with `aud` = the resource
 * string as requested. Both ARM spellings are accepted (DESIGN.md); Graph is Lapis's directory API.
 */
export const FIRST_PARTY_RESOURCES = [
  'https://webpubsub.azure.com',
  'https://signalr.azure.com',
  'https://vault.azure.net',
  'https://management.azure.com',
  'https://management.core.windows.net',
  'https://graph.microsoft.com',
] as const;

export interface ResolvedResource {
  /** What goes in `aud`. */
  audience: string;
  version: '1.0' | '2.0';
  /** The resource as requested (echoed by the v1 and MI responses). */
  requested: string;
}

const MAX_RESOURCE_LENGTH = 512;

/** Resolves a `resource=` value (or a scope with its suffix removed) within a tenant. */
export function resolveResource(dir: Directory, tenant: Tenant, requested: string): ResolvedResource {
  if (!requested || requested.length > MAX_RESOURCE_LENGTH) throw E.resourceNotFound(requested.slice(0, 64), tenant.id);
  const bare = requested.replace(/\/+$/, '').toLowerCase();
  const firstParty = FIRST_PARTY_RESOURCES.find((r) => r === bare);
  // `aud` takes the canonical spelling (validators compare exactly), keeping a trailing slash if asked.
  if (firstParty) return { audience: requested.endsWith('/') ? `${firstParty}/` : firstParty, version: '1.0', requested };
  const app = dir.findResourceApplication(tenant.id, requested);
  if (!app) throw E.resourceNotFound(requested, tenant.id);
  return app.requestedAccessTokenVersion === 2
    ? { audience: app.appId, version: '2.0', requested }
    : { audience: requested, version: '1.0', requested };
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/**
 * Splits a v2 `scope` into its resource and the delegated scope names. Entra takes exactly one
 * resource per request; client credentials must use `{resource}/.default`.
 */
export function parseScope(scope: string, clientCredentials: boolean): { resource: string; scopes: string[] } {
  const items = scope.split(' ').filter((s) => s && !OIDC_SCOPES.has(s.toLowerCase()));
  if (items.length === 0) throw E.badScope(scope);
  const split = items.map((s) => {
    if (s.toLowerCase().endsWith('/.default')) return { resource: s.slice(0, -'/.default'.length), name: '.default' };
    if (clientCredentials) throw E.badScopeSuffix(s);
    const cut = s.lastIndexOf('/');
    // A bare name (`user_impersonation`) would mean Microsoft Graph in Entra; Lapis has no Graph tokens.
    if (cut <= 0) throw E.badScope(scope);
    return { resource: s.slice(0, cut), name: s.slice(cut + 1) };
  });
  const resources = new Set(split.map((s) => s.resource.replace(/\/+$/, '').toLowerCase()));
  if (resources.size !== 1) throw E.badScope(scope);
  if (clientCredentials && split.length !== 1) throw E.badScope(scope);
  const names = split.map((s) => s.name).filter((n) => n !== '.default');
  return { resource: split[0]!.resource, scopes: names.length ? names : ['user_impersonation'] };
}
