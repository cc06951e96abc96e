import type { PrincipalResolver } from '../../access/index.ts';
import type { Directory } from '../../identity/index.ts';

/**
 * The principal resolver AccessControl needs, over Lapis's directory: service principals (apps
 * and managed identities) are `ServicePrincipal`, users are `User`, as ARM reports them.
 */
export function directoryPrincipalResolver(dir: Directory): PrincipalResolver {
  return (principalId) => {
    const id = principalId.toLowerCase();
    const sp = dir.servicePrincipals().find((s) => s.id.toLowerCase() === id);
    if (sp) return { principalType: 'ServicePrincipal', displayName: sp.displayName };
    const u = dir.users().find((x) => x.id.toLowerCase() === id);
    if (u) return { principalType: 'User', displayName: u.userPrincipalName };
    return undefined;
  };
}
