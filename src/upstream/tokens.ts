/**
 * Entra tokens for the resource's managed identity, minted by Lapis's own issuer exactly as the
 * managed-identity endpoint would mint them (entra-compat §4.4), cached per (identity, audience)
 * and renewed before expiry: one token serves many events.
 */
import { LRUCache } from 'lru-cache';
import type { Directory, ManagedIdentity, TokenIssuer } from '../identity/index.ts';
import { EntraError } from '../identity/index.ts';
import { resolveResource } from '../identity/resources.ts';
import { ManagedIdentityUnavailable } from './errors.ts';

export { ManagedIdentityUnavailable } from './errors.ts';

/** Renew when less than this is left (tokens live an hour). */
const RENEW_BEFORE_S = 10 * 60;


interface Cached { token: string; expiresOn: number }

export class ManagedIdentityTokens {
  readonly #dir: Directory;
  readonly #issuer: TokenIssuer;
  /** Per (identity, audience); the least recently used goes first past 1000 (many hubs × resources). */
  readonly #cache = new LRUCache<string, Cached>({ max: 1000 });
  readonly #inflight = new Map<string, Promise<Cached>>();
  /** Tokens minted (for tests and metrics). */
  minted = 0;

  constructor(identity: { directory: Directory; issuer: TokenIssuer }) {
    this.#dir = identity.directory;
    this.#issuer = identity.issuer;
  }

  /**
   * A bearer token whose `aud` is `resource` resolved in the identity's tenant (an application's
   * appId or Application ID URI, or a first-party resource such as https://vault.azure.net).
   */
  async token(mi: ManagedIdentity | undefined, resource: string, now = Math.floor(Date.now() / 1000)): Promise<string> {
    if (!mi) throw new ManagedIdentityUnavailable('the resource has no managed identity: enable a system-assigned identity or assign a user-assigned one');
    const key = `${mi.resourceId.toLowerCase()}\u0000${mi.clientId}\u0000${resource.toLowerCase()}`;
    const hit = this.#cache.get(key);
    if (hit && hit.expiresOn - now > RENEW_BEFORE_S) return hit.token;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#mint(mi, resource).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    const fresh = await pending;
    this.#cache.set(key, fresh);
    return fresh.token;
  }

  async #mint(mi: ManagedIdentity, resource: string): Promise<Cached> {
    const tenant = this.#dir.getTenant(mi.tenantId);
    if (!tenant) throw new ManagedIdentityUnavailable(`the managed identity's tenant ${mi.tenantId} does not exist`);
    let resolved;
    try {
      resolved = resolveResource(this.#dir, tenant, resource);
    } catch (err) {
      if (err instanceof EntraError) {
        throw new ManagedIdentityUnavailable(`'${resource.slice(0, 200)}' is neither the Application ID nor an Application ID URI of an application registered in tenant ${tenant.id}`);
      }
      throw err;
    }
    const issued = await this.#issuer.issue({
      tenantId: tenant.id, audience: resolved.audience, version: resolved.version,
      client: { appId: mi.clientId, objectId: mi.principalId, authMethod: '2', managedIdentityResourceId: mi.resourceId },
    });
    this.minted++;
    return { token: issued.accessToken, expiresOn: issued.expiresOn };
  }

  /** Checks that `resource` resolves in the identity's tenant (used for status and config checks). */
  check(mi: ManagedIdentity | undefined, resource: string): string | undefined {
    if (!mi) return 'the resource has no managed identity: enable a system-assigned identity or assign a user-assigned one';
    const tenant = this.#dir.getTenant(mi.tenantId);
    if (!tenant) return `the managed identity's tenant ${mi.tenantId} does not exist`;
    try {
      resolveResource(this.#dir, tenant, resource);
      return undefined;
    } catch {
      return `'${resource.slice(0, 200)}' is neither the Application ID nor an Application ID URI of an application registered in tenant ${tenant.id}`;
    }
  }
}
