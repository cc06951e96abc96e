// Shared fixtures for the access-control unit tests: an AccessControl over an in-memory store that
// counts store calls, a small directory of principals, and a scope tree with nested groups.
import assert from 'node:assert/strict';
import { AccessControl, AccessError, type ResolvedPrincipal } from '../../src/access/index.ts';
import { openMemoryStore, type Store } from '../../src/store/index.ts';

export const TENANT = '0a0b0c0d-1111-4222-8333-444455556666';
export const SUB = '11111111-2222-4333-8444-555555555555';
export const SUB2 = '66666666-7777-4888-9999-aaaaaaaaaaaa';
export const RG = `/subscriptions/${SUB}/resourceGroups/rg-1`;
export const RG2 = `/subscriptions/${SUB}/resourceGroups/rg-2`;
export const WPS = `${RG}/providers/Microsoft.SignalRService/webPubSub/chat`;
export const WPS2 = `${RG2}/providers/Microsoft.SignalRService/webPubSub/other`;
export const HUB = `${WPS}/hubs/h1`;
export const MG_ROOT = '/providers/Microsoft.Management/managementGroups/mg-root';
export const MG_CHILD = '/providers/Microsoft.Management/managementGroups/mg-child';

export const ROLE = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  uaa: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  wpsOwner: '12cf5a90-567b-43ae-8102-96cf46c7d9b4',
  wpsReader: 'bfb1c7d2-fb1a-466b-b2ba-aee63b92deaf',
  kvSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

export const P = {
  app: 'aaaaaaaa-0000-4000-8000-000000000001',
  app2: 'aaaaaaaa-0000-4000-8000-000000000002',
  user: 'bbbbbbbb-0000-4000-8000-000000000001',
  mi: 'cccccccc-0000-4000-8000-000000000001',
  ghost: 'dddddddd-0000-4000-8000-000000000001',
} as const;

const DIRECTORY: Record<string, ResolvedPrincipal> = {
  [P.app]: { principalType: 'ServicePrincipal', displayName: 'chat-server' },
  [P.app2]: { principalType: 'ServicePrincipal', displayName: 'other-app' },
  [P.user]: { principalType: 'User', displayName: 'dev@contoso.test' },
  [P.mi]: { principalType: 'ServicePrincipal', displayName: 'uami-1' },
};

export const WPS_ACT = (a: string) => `Microsoft.SignalRService/WebPubSub/${a}`;

/** A store wrapper that counts every call, to prove checks never reach the store. */
export function countingStore(inner: Store): Store & { calls: number } {
  const counted = {
    calls: 0,
    get: (...a: Parameters<Store['get']>) => { counted.calls++; return inner.get(...a); },
    list: (...a: Parameters<Store['list']>) => { counted.calls++; return inner.list(...a); },
    put: (...a: Parameters<Store['put']>) => { counted.calls++; return inner.put(...a); },
    delete: (...a: Parameters<Store['delete']>) => { counted.calls++; return inner.delete(...a); },
    getVersioned: (...a: Parameters<Store['getVersioned']>) => { counted.calls++; return inner.getVersioned(...a); },
    insertIfAbsent: (...a: Parameters<Store['insertIfAbsent']>) => { counted.calls++; return inner.insertIfAbsent(...a); },
    replaceIf: (...a: Parameters<Store['replaceIf']>) => { counted.calls++; return inner.replaceIf(...a); },
    changes: inner.changes,
    transaction: (...a: Parameters<Store['transaction']>) => { counted.calls++; return inner.transaction(...a); },
    close: () => inner.close(),
  };
  return counted as Store & { calls: number };
}

export async function makeAccess(store: Store = openMemoryStore()): Promise<{ access: AccessControl; store: Store & { calls: number } }> {
  const counted = countingStore(store);
  const access = new AccessControl({
    store: counted, tenantId: TENANT,
    resolvePrincipal: (id) => DIRECTORY[id.toLowerCase()],
    scopeTree: {
      managementGroups: [{ id: 'mg-root' }, { id: 'mg-child', parent: 'mg-root', subscriptions: [SUB] }],
      subscriptions: [SUB2],
    },
  });
  await access.load();
  return { access, store: counted };
}

/** Runs `fn` and returns the AccessError's code; fails when nothing (or something else) is thrown. */
export async function errorCode(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof AccessError, `expected AccessError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected an AccessError');
}
