// Two "nodes" of identity over one shared store object: openMemoryStore()'s change feed is
// in-process, standing in for the PostgreSQL feed that connects real nodes. Each node is a full
// IdentityService (directory, key ring, replay cache, lockout) with its own memory.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { IdentityService, EntraError } from '../../src/identity/index.ts';
import { createSealer, openMemoryStore, type Sealer, type Store } from '../../src/store/index.ts';
import type { LockoutPolicy } from '../../src/identity/index.ts';

export const AUTHORITY = 'https://localhost:1';
export const TENANT = '3c5e7a90-1b2d-4e6f-8a0b-2c4d6e8f0a13';
export const WEBPUBSUB_SCOPE = 'https://webpubsub.azure.com/.default';
export const tokenUrl = `${AUTHORITY}/${TENANT}/oauth2/v2.0/token`;

export interface Cluster {
  store: Store;
  sealer: Sealer;
  a: IdentityService;
  b: IdentityService;
  stop(): Promise<void>;
}

/** Starts two identity nodes on one fresh store (concurrently, as nodes of a new cluster do). */
export async function startCluster(opts: { lockout?: Partial<LockoutPolicy>; store?: Store; sealer?: Sealer } = {}): Promise<Cluster> {
  const store = opts.store ?? openMemoryStore();
  const sealer = opts.sealer ?? createSealer(randomBytes(32));
  const node = () => new IdentityService({ store, sealer, authorityHost: AUTHORITY, lockout: opts.lockout });
  const a = node();
  const b = node();
  await Promise.all([a.start(), b.start()]);
  await a.directory.upsertTenant({ id: TENANT, isDefault: true, domains: ['cluster.example'] });
  return {
    store, sealer, a, b,
    async stop() {
      a.stop();
      b.stop();
      await store.close();
    },
  };
}

/** A token request to one node, as the token endpoint would pass it. */
export function tokenRequest(node: IdentityService, form: Record<string, string>): Promise<Record<string, unknown>> {
  return node.tokens.handle({
    tenantSegment: TENANT, endpoint: 'v2', form: new Map(Object.entries(form)), assertionAudiences: () => [tokenUrl],
  });
}

/** The Entra error a request fails with (fails the test if it succeeds or throws something else). */
export async function entraError(p: Promise<unknown>): Promise<EntraError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof EntraError, `expected an EntraError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to be refused');
}

export function secretGrant(appId: string, secret: string): Record<string, string> {
  return { grant_type: 'client_credentials', client_id: appId, client_secret: secret, scope: WEBPUBSUB_SCOPE };
}
