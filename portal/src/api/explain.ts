import type { Session } from '../auth/session.ts';
import { ARM_VERSION, arm } from './http.ts';

/** One of the principal's assignments, with why it did or did not grant (Lapis's explainAccess answer). */
export interface ConsideredAssignment {
  id: string;
  scope: string;
  roleDefinitionId: string;
  roleName: string | null;
  applies: boolean;
  via: string | null;
  outcome: string;
  matchedPattern: string | null;
  reason: string;
}

export interface AccessDecision {
  allowed: boolean;
  principalId: string;
  scope: string;
  kind: string;
  operation: string;
  decidingAssignment: ConsideredAssignment | null;
  decidingRole: { id: string; roleName: string } | null;
  matchedPattern: string | null;
  scopesChecked: string[];
  considered: ConsideredAssignment[];
  reason: string;
}

export type OperationKind = 'action' | 'dataAction';

/** `POST /providers/Microsoft.Lapis/explainAccess`: the decision and its reasons (docs/rbac.md "Explaining a decision"). */
export const explainAccess = (s: Session, principalId: string, kind: OperationKind, operation: string, scope: string) =>
  arm<AccessDecision>(s, 'POST', '/providers/Microsoft.Lapis/explainAccess', ARM_VERSION.authorization, { principalId, [kind]: operation, scope });

export interface PermissionBlock { actions?: string[]; notActions?: string[]; dataActions?: string[]; notDataActions?: string[] }

/** ARM's permissions API: what the signed-in user may do at a scope. */
export const myPermissions = (s: Session, scope: string) =>
  arm<{ value: PermissionBlock[] }>(s, 'GET', `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/permissions`, ARM_VERSION.authorization).then((r) => r.value);

/** Azure's wildcard match for operation patterns: `*` spans any characters, case-insensitive. */
export function patternMatches(pattern: string, operation: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(operation);
}

/** Whether some permission block grants the operation and its Not* list does not take it away. */
export function blocksAllow(blocks: PermissionBlock[], kind: OperationKind, operation: string): boolean {
  return blocks.some((b) => {
    const [allow, deny] = kind === 'action' ? [b.actions, b.notActions] : [b.dataActions, b.notDataActions];
    return (allow ?? []).some((p) => patternMatches(p, operation)) && !(deny ?? []).some((p) => patternMatches(p, operation));
  });
}
