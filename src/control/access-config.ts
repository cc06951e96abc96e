import { AccessControl, AccessError, BUILT_IN_ROLES } from '../access/index.ts';
import type { LapisConfig, RoleAssignmentConfig } from '../config/index.ts';
import type { IdentityService } from '../identity/index.ts';
import { directoryPrincipalResolver } from './arm/principals.ts';
import { resolvePrincipalRef } from './principal-ref.ts';
import type { ResourceRegistry } from './resources.ts';
import { WorldError, type World } from './world.ts';

/**
 * Builds access control for this node: the scope tree from the config (management groups and
 * their subscriptions, below the tenant root group), then the declared custom roles and role
 * assignments, idempotently. Assignments made at run time (ARM API, CLI) are kept.
 */
export async function createAccessControl(deps: { store: ConstructorParameters<typeof AccessControl>[0]['store']; identity: IdentityService; resources: ResourceRegistry; world: World; config: LapisConfig | undefined; onError?: (err: unknown) => void }): Promise<AccessControl> {
  const { identity, resources, world, config } = deps;
  const mgs = config?.managementGroups ?? [];
  const access = new AccessControl({
    store: deps.store,
    resolvePrincipal: directoryPrincipalResolver(identity.directory),
    onError: deps.onError,
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
  const adminUser = world.bootstrapUserId ? identity.directory.getUserById(world.bootstrapUserId) : undefined;
  if (adminUser) bootstrap.push(adminUser.id);
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

/** A role assignment's principal, or the config error at its path. */
function resolvePrincipal(identity: IdentityService, resources: ResourceRegistry, a: RoleAssignmentConfig, path: string): string {
  const found = resolvePrincipalRef(identity, resources, a.principal);
  if ('error' in found) throw new WorldError(`${path}.principal: ${found.error}`);
  return found.id;
}
