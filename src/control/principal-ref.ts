import type { IdentityService } from '../identity/index.ts';
import type { ResourceRegistry } from './resources.ts';

/** How the config names a principal (role assignments, vault access policies). */
export type PrincipalRef = string | { systemAssignedIdentityOf: string };

/**
 * The object id of a principal named as DESIGN.md allows: display name, appId/clientId, object id,
 * UPN, user-assigned identity name, or a resource's system identity. Returns the reason otherwise.
 */
export function resolvePrincipalRef(identity: IdentityService, resources: ResourceRegistry, ref: PrincipalRef): { id: string } | { error: string } {
  const dir = identity.directory;
  if (typeof ref !== 'string') {
    const r = resources.getService(ref.systemAssignedIdentityOf);
    const mi = r ? dir.getManagedIdentityOf(r.id) : undefined;
    if (!mi || mi.type !== 'SystemAssigned') return { error: `resource '${ref.systemAssignedIdentityOf}' has no system-assigned identity (set identity.type to SystemAssigned)` };
    return { id: mi.principalId };
  }
  const r = ref.toLowerCase();
  const sp = dir.servicePrincipals().find((s) => s.id === r || s.appId === r)
    ?? (() => { const app = dir.findApplication(r); return app ? dir.servicePrincipal(app.appId) : undefined; })()
    ?? (() => { const mi = dir.managedIdentities().find((m) => m.type === 'UserAssigned' && m.name.toLowerCase() === r); return mi ? dir.servicePrincipal(mi.clientId) : undefined; })();
  if (sp) return { id: sp.id };
  const user = dir.getUser(ref) ?? dir.users().find((u) => u.id === r);
  if (user) return { id: user.id };
  return { error: `no application, user or managed identity is named '${ref}'` };
}
