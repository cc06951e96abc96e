import { randomUUID } from 'node:crypto';
import { KIND, type ManagedIdentity, type ServicePrincipal, type Tenant, type User } from './model.ts';
import { ADMINS_ID } from './directory-view.ts';
import type { DirectoryContext } from './directory-apps.ts';
import { hashSecret, verifySecret } from './secrets.ts';
import { updateDocument } from './optimistic-update.ts';

// Writes of tenants, users, managed identities and directory roles. Each reads what it changes
// from the store (not the view, which may lag another node's write) and writes it so that two
// nodes cannot both win: insert-if-absent for new records, compare-and-swap for changes,
// transactions where several records change together.

/** Creates or updates a tenant; making one the default clears the flag on the others in the same transaction. */
export async function upsertTenant(ctx: DirectoryContext, t: { id: string; displayName?: string; domains?: string[]; isDefault: boolean }): Promise<Tenant> {
  const id = t.id.toLowerCase();
  const written: string[] = [id];
  const tenant = await ctx.store.transaction(async (tx) => {
    const prior = await tx.get<Tenant>(KIND.tenant, id);
    if (t.isDefault) {
      for (const other of await tx.list<Tenant>(KIND.tenant)) {
        if (!other.isDefault || other.id === id) continue;
        await tx.put(KIND.tenant, other.id, { ...other, isDefault: false });
        written.push(other.id);
      }
    }
    const domains = t.domains?.length ? t.domains.map((d) => d.toLowerCase()) : prior?.domains ?? [`${id.slice(0, 8)}.onmicrosoft.com`];
    const next: Tenant = { id, displayName: t.displayName ?? prior?.displayName ?? 'Lapis', domains, isDefault: t.isDefault };
    await tx.put(KIND.tenant, id, next);
    return next;
  });
  await Promise.all(written.map((w) => ctx.refresh(KIND.tenant, w)));
  return tenant;
}

/** Creates or updates a user, keyed by lower-case user principal name (one user per UPN across nodes). */
export async function upsertUser(ctx: DirectoryContext, tenantId: string, d: { userPrincipalName: string; displayName?: string; id?: string; password: string }): Promise<User> {
  const key = d.userPrincipalName.toLowerCase();
  const { doc } = await updateDocument<User>(ctx.store, KIND.user, key, async (prior) => {
    const same = prior ? await verifySecret(d.password, prior.passwordHash) : false;
    return {
      id: (d.id ?? prior?.id ?? randomUUID()).toLowerCase(), tenantId,
      userPrincipalName: d.userPrincipalName, displayName: d.displayName ?? prior?.displayName ?? d.userPrincipalName.split('@')[0]!,
      passwordHash: same && prior ? prior.passwordHash : await hashSecret(d.password, false),
    };
  }, { parent: (u) => u.tenantId });
  await ctx.refresh(KIND.user, key);
  return doc!;
}

/** Changes an existing user (compare-and-swap on the stored record); undefined when there is none. */
export async function updateUser(ctx: DirectoryContext, userPrincipalName: string, patch: { displayName?: string; password?: string }): Promise<User | undefined> {
  const key = userPrincipalName.toLowerCase();
  const passwordHash = patch.password === undefined ? undefined : await hashSecret(patch.password, false);
  const { doc } = await updateDocument<User>(ctx.store, KIND.user, key, (prior) => {
    if (!prior) return undefined;
    return { ...prior, ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}), ...(passwordHash ? { passwordHash, passwordChangedAt: Math.floor(Date.now() / 1000) } : {}) };
  }, { parent: (u) => u.tenantId });
  await ctx.refresh(KIND.user, key);
  return doc;
}

/** Creates a user only if none has that UPN (two nodes creating the same user: one wins, the other learns so). */
export async function createUserIfAbsent(ctx: DirectoryContext, tenantId: string, d: { userPrincipalName: string; displayName: string; id: string; password: string }): Promise<boolean> {
  const key = d.userPrincipalName.toLowerCase();
  const user: User = { id: d.id.toLowerCase(), tenantId, userPrincipalName: d.userPrincipalName, displayName: d.displayName, passwordHash: await hashSecret(d.password, false) };
  const created = await ctx.store.insertIfAbsent(KIND.user, key, user, tenantId);
  await ctx.refresh(KIND.user, key);
  return created;
}

/**
 * Creates (or keeps) a managed identity and its service principal, together. A system-assigned
 * identity's resource id is its resource's; a user-assigned one has its own.
 */
export async function ensureManagedIdentity(ctx: DirectoryContext, d: { type: ManagedIdentity['type']; resourceId: string; name: string; tenantId: string; clientId?: string; principalId?: string; location?: string; tags?: Record<string, string> }): Promise<ManagedIdentity> {
  const key = d.resourceId.toLowerCase();
  const spIds = new Set<string>();
  const { doc } = await updateDocument<ManagedIdentity>(ctx.store, KIND.managedIdentity, key, (prior) => ({
    type: d.type, resourceId: d.resourceId, name: d.name, tenantId: d.tenantId,
    clientId: (d.clientId ?? prior?.clientId ?? randomUUID()).toLowerCase(),
    principalId: (d.principalId ?? prior?.principalId ?? randomUUID()).toLowerCase(),
    ...(d.location ?? prior?.location ? { location: d.location ?? prior?.location } : {}),
    ...(d.tags ?? prior?.tags ? { tags: d.tags ?? prior?.tags } : {}),
  }), {
    parent: (m) => m.tenantId,
    alsoWrite: async (tx, mi, prior) => {
      // A changed client id moves the service principal: the old one must not outlive it.
      if (prior && prior.clientId !== mi.clientId) {
        await tx.delete(KIND.servicePrincipal, prior.clientId);
        spIds.add(prior.clientId);
      }
      const sp: ServicePrincipal = {
        id: mi.principalId, appId: mi.clientId, tenantId: mi.tenantId, displayName: mi.name,
        servicePrincipalType: 'ManagedIdentity', alternativeNames: [`isExplicit=${mi.type === 'UserAssigned'}`, mi.resourceId],
      };
      await tx.put(KIND.servicePrincipal, mi.clientId, sp, mi.tenantId);
      spIds.add(mi.clientId);
    },
  });
  await Promise.all([ctx.refresh(KIND.managedIdentity, key), ...[...spIds].map((id) => ctx.refresh(KIND.servicePrincipal, id))]);
  return doc!;
}

/** Deletes a managed identity with its service principal (a resource losing its system identity). */
export async function deleteManagedIdentity(ctx: DirectoryContext, resourceId: string): Promise<boolean> {
  const key = resourceId.toLowerCase();
  const spIds: string[] = [];
  const deleted = await ctx.store.transaction(async (tx) => {
    const mi = await tx.get<ManagedIdentity>(KIND.managedIdentity, key);
    if (!mi) return false;
    await tx.delete(KIND.servicePrincipal, mi.clientId);
    spIds.push(mi.clientId);
    return tx.delete(KIND.managedIdentity, key);
  });
  await Promise.all([ctx.refresh(KIND.managedIdentity, key), ...spIds.map((id) => ctx.refresh(KIND.servicePrincipal, id))]);
  return deleted;
}

/** Adds a principal to the directory admins (compare-and-swap: concurrent grants all land). */
export async function grantDirectoryAdmin(ctx: DirectoryContext, principalId: string): Promise<void> {
  const id = principalId.toLowerCase();
  if (ctx.view.admins.has(id)) return;
  await updateDocument<string[]>(ctx.store, KIND.settings, ADMINS_ID, (prior) => (prior?.includes(id) ? undefined : [...(prior ?? []), id]));
  await ctx.refresh(KIND.settings, ADMINS_ID);
}
