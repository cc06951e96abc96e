import { AccessControl, AccessError, BUILT_IN_ROLES } from '../access/index.ts';
import type { LapisConfig, RoleAssignmentConfig } from '../config/index.ts';
import type { IdentityService } from '../identity/index.ts';
import { directoryPrincipalResolver } from './arm/principals.ts';
import type { ResourceRegistry } from './resources.ts';
import { WorldError, type World } from './world.ts';

/**
 * Builds access control for this node: the scope tree from the config (management groups and
 * their subscriptions, below the tenant root group), then the declared custom roles and role
 * assignments, idempotently. Assignments made at run time (ARM API, CLI) are kept.
 */
export async function createAccessControl(deps: { store: ConstructorParameters<typeof AccessControl>[0]['store']; identity: IdentityService; resources: ResourceRegistry; world: World; config: LapisConfig | undefined }): Promise<AccessControl> {
  const { identity, resources, world, config } = deps;
  const mgs = config?.managementGroups ?? [];
  const access = new AccessControl({
    store: deps.store,
    resolvePrincipal: directoryPrincipalResolver(identity.directory),
    tenantId: world.tenantId,
    scopeTree: {
      tenantRootGroupId: world.tenantId,
      managementGroups: mgs.map((m) => ({ id: m.name, parent: m.parent ?? null, subscriptions: m.subscriptions })),
      subscriptions: [world.subscriptionId],
    },
  });
  await access.load();
  const bootstrap = [world.hostIdentity.principalId];
  const admin = world.bootstrapAdminAppId ? identity.directory.servicePrincipal(world.bootstrapAdminAppId) : undefined;
  if (admin) bootstrap.push(admin.id);
  await access.ensureBootstrapAssignments(bootstrap);

  for (const [i, body] of (config?.roleDefinitions ?? []).entries()) {
    await wrap(`$.roleDefinitions[${i}]`, () => access.ensureRoleDefinition(body, { by: 'config' }));
  }
  for (const [i, a] of (config?.roleAssignments ?? []).entries()) {
    const path = `$.roleAssignments[${i}]`;
    const principalId = resolvePrincipal(identity, resources, a, path);
    const role = a.roleDefinitionId ?? access.findRoleDefinitionByName(a.roleDefinitionName!)?.name;
    if (!role) {
      const known = BUILT_IN_ROLES.map((r) => r.roleName).slice(0, 6).join(', ');
      throw new WorldError(`${path}.roleDefinitionName: no role named '${a.roleDefinitionName}' (built-in roles include ${known}…; custom roles come from $.roleDefinitions)`);
    }
    await wrap(path, () => access.ensureRoleAssignment({ scope: a.scope, roleDefinitionId: role, principalId, description: a.description, createdBy: 'config' }));
  }
  return access;
}

async function wrap<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AccessError) throw new WorldError(`${path}: ${err.message}`);
    throw err;
  }
}

/** A principal named as DESIGN.md allows: display name, appId/clientId, object id, UPN, identity name, or a resource's system identity. */
function resolvePrincipal(identity: IdentityService, resources: ResourceRegistry, a: RoleAssignmentConfig, path: string): string {
  const dir = identity.directory;
  const ref = a.principal;
  if (typeof ref !== 'string') {
    const r = resources.get(ref.systemAssignedIdentityOf);
    const mi = r ? dir.getManagedIdentityOf(r.id) : undefined;
    if (!mi || mi.type !== 'SystemAssigned') throw new WorldError(`${path}.principal: resource '${ref.systemAssignedIdentityOf}' has no system-assigned identity (set identity.type to SystemAssigned)`);
    return mi.principalId;
  }
  const r = ref.toLowerCase();
  const sp = dir.servicePrincipals().find((s) => s.id === r || s.appId === r)
    ?? (() => { const app = dir.findApplication(r); return app ? dir.servicePrincipal(app.appId) : undefined; })()
    ?? (() => { const mi = dir.managedIdentities().find((m) => m.type === 'UserAssigned' && m.name.toLowerCase() === r); return mi ? dir.servicePrincipal(mi.clientId) : undefined; })();
  if (sp) return sp.id;
  const user = dir.getUser(ref) ?? dir.users().find((u) => u.id === r);
  if (user) return user.id;
  throw new WorldError(`${path}.principal: no application, user or managed identity is named '${ref}'`);
}
