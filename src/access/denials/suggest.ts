import { compilePattern, type PermissionKind } from '../patterns.ts';
import type { RoleDefinition } from '../model.ts';
import { parseScope } from '../scope.ts';

/** The assignment that would have granted a refused operation. */
export interface MissingAssignment {
  roleDefinitionId: string;
  roleName: string;
  roleType: RoleDefinition['roleType'];
  /** Where to assign it: the resource (a hub or secret's resource), or the target scope above resources. */
  scope: string;
}

function allowsBy(def: RoleDefinition, kind: PermissionKind, op: string): string[] {
  const matched: string[] = [];
  for (const p of def.permissions) {
    const [allow, deny] = kind === 'action' ? [p.actions, p.notActions] : [p.dataActions, p.notDataActions];
    const hits = allow.filter((x) => compilePattern(x).test(op));
    if (hits.length && !deny.some((x) => compilePattern(x).test(op))) matched.push(...hits);
  }
  return matched;
}

/**
 * Where a role for this target is assigned in practice: a child scope (a hub below a Web PubSub
 * resource) gets its resource, as Azure's portal assigns at the resource's Access control blade.
 */
export function assignmentScopeFor(scope: string): string {
  const p = parseScope(scope);
  if (p.level !== 'resource' || !p.segments || p.segments.length <= 1 || !p.parent) return p.id;
  let at = p;
  while (at.level === 'resource' && at.segments && at.segments.length > 1 && at.parent) at = parseScope(at.parent);
  return at.id;
}

/**
 * The least-privileged role that grants the operation, among those assignable at the scope: the
 * one whose matching pattern is the most specific (fewest wildcards, longest literal text), then
 * built-in before custom, then the one with the fewest permissions. Undefined when none does.
 */
export function nearestMissingAssignment(roles: readonly RoleDefinition[], kind: PermissionKind, operation: string, scope: string): MissingAssignment | undefined {
  let best: { def: RoleDefinition; score: number; size: number } | undefined;
  for (const def of roles) {
    const hits = allowsBy(def, kind, operation);
    if (!hits.length) continue;
    const score = Math.max(...hits.map((h) => h.replace(/\*/g, '').length - (h.includes('*') ? 1000 : 0)));
    const size = def.permissions.reduce((n, p) => n + p.actions.length + p.dataActions.length, 0);
    const better = !best || score > best.score || (score === best.score && (
      (def.roleType === 'BuiltInRole' && best.def.roleType !== 'BuiltInRole') ||
      (def.roleType === best.def.roleType && size < best.size)));
    if (better) best = { def, score, size };
  }
  return best && { roleDefinitionId: best.def.name, roleName: best.def.roleName, roleType: best.def.roleType, scope: assignmentScopeFor(scope) };
}
