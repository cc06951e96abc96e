import type { Permission, RoleAssignment, RoleDefinition } from './model.ts';
import { compilePatternList, firstMatch, type PermissionKind } from './patterns.ts';

/**
 * Evaluation exactly as entra-compat §5.5: collect the principal's assignments at the target
 * scope or an ancestor; a role allows an operation when one of its (Data)Actions patterns matches
 * and no Not(Data)Actions pattern of the same permission block does; any allowing assignment
 * grants (additive); Actions never grant DataActions and DataActions never grant Actions.
 */

interface CompiledPermission {
  allow: Record<PermissionKind, RegExp | null>;
  deny: Record<PermissionKind, RegExp | null>;
  source: Permission;
}

export interface CompiledRole {
  def: RoleDefinition;
  perms: CompiledPermission[];
}

export function compileRole(def: RoleDefinition): CompiledRole {
  return {
    def,
    perms: def.permissions.map((p) => ({
      allow: { action: compilePatternList(p.actions), dataAction: compilePatternList(p.dataActions) },
      deny: { action: compilePatternList(p.notActions), dataAction: compilePatternList(p.notDataActions) },
      source: p,
    })),
  };
}

/** The hot-path test: does this role allow this operation? */
export function roleAllows(role: CompiledRole, kind: PermissionKind, operation: string): boolean {
  for (const p of role.perms) {
    if (p.allow[kind]?.test(operation) && !p.deny[kind]?.test(operation)) return true;
  }
  return false;
}

export type Outcome =
  | 'granted'              // this assignment allows the operation
  | 'excludedByNot'        // a pattern matched, but a Not* pattern of the same role removed it
  | 'noMatchingPattern'    // the role has no pattern for this operation
  | 'wrongPlane'           // only the other list (Actions vs DataActions) matches: never grants
  | 'scopeNotApplicable'   // the assignment's scope is not the target scope nor one of its ancestors
  | 'roleDefinitionMissing';

export interface ConsideredAssignment {
  /** `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}` */
  id: string;
  name: string;
  scope: string;
  principalId: string;
  principalType: string;
  roleDefinitionId: string;
  roleName: string | null;
  /** Whether the assignment's scope is the target scope or one of its ancestors. */
  applies: boolean;
  /** `self` when at the target scope; otherwise the ancestor's level, e.g. `resourceGroup`. */
  via: string | null;
  outcome: Outcome;
  matchedPattern: string | null;
  excludedBy: string | null;
  reason: string;
}

export interface Decision {
  allowed: boolean;
  principalId: string;
  scope: string;
  kind: PermissionKind;
  operation: string;
  /** The assignment that granted (the one nearest the target scope), when allowed. */
  decidingAssignment: ConsideredAssignment | null;
  decidingRole: { id: string; roleName: string } | null;
  matchedPattern: string | null;
  /** The scopes checked, target first, `/` last. */
  scopesChecked: string[];
  /** Every assignment of the principal, nearest applicable first, with why it did or did not grant. */
  considered: ConsideredAssignment[];
  reason: string;
}

export const assignmentId = (a: RoleAssignment): string => `${a.scope === '/' ? '' : a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`;

const LISTS: Record<PermissionKind, { allow: keyof Permission; deny: keyof Permission; other: keyof Permission; label: string; otherLabel: string }> = {
  action: { allow: 'actions', deny: 'notActions', other: 'dataActions', label: 'Actions', otherLabel: 'DataActions' },
  dataAction: { allow: 'dataActions', deny: 'notDataActions', other: 'actions', label: 'DataActions', otherLabel: 'Actions' },
};

function judge(role: CompiledRole, kind: PermissionKind, op: string): Pick<ConsideredAssignment, 'outcome' | 'matchedPattern' | 'excludedBy' | 'reason'> {
  const l = LISTS[kind];
  let excluded: { matched: string; by: string } | undefined;
  for (const p of role.perms) {
    const matched = firstMatch(p.source[l.allow], op);
    if (!matched) continue;
    const by = firstMatch(p.source[l.deny], op);
    if (!by) {
      return { outcome: 'granted', matchedPattern: matched, excludedBy: null, reason: `${l.label} pattern '${matched}' of role '${role.def.roleName}' matches '${op}'.` };
    }
    excluded ??= { matched, by };
  }
  if (excluded) {
    return {
      outcome: 'excludedByNot', matchedPattern: excluded.matched, excludedBy: excluded.by,
      reason: `${l.label} pattern '${excluded.matched}' matches, but Not${l.label} pattern '${excluded.by}' of the same role removes '${op}'.`,
    };
  }
  const other = role.perms.map((p) => firstMatch(p.source[l.other], op)).find(Boolean);
  if (other) {
    return {
      outcome: 'wrongPlane', matchedPattern: null, excludedBy: null,
      reason: `Only ${l.otherLabel} pattern '${other}' matches; ${l.otherLabel} never grant ${l.label} (control plane and data plane are separate).`,
    };
  }
  const listed = role.perms.flatMap((p) => p.source[l.allow]);
  return {
    outcome: 'noMatchingPattern', matchedPattern: null, excludedBy: null,
    reason: listed.length ? `No ${l.label} pattern of role '${role.def.roleName}' (${listed.slice(0, 8).join(', ')}${listed.length > 8 ? ', …' : ''}) matches '${op}'.` : `Role '${role.def.roleName}' has no ${l.label}.`,
  };
}

export interface DecideArgs {
  principalId: string;
  /** Canonical target scope id. */
  scope: string;
  /** Inheritance chain as canonical ids, target first, `/` last. */
  chain: string[];
  /** Level of each chain entry, same order (e.g. 'resource', 'resourceGroup', …). */
  levels: string[];
  kind: PermissionKind;
  operation: string;
  /** Every assignment of the principal. */
  assignments: RoleAssignment[];
  role(id: string): CompiledRole | undefined;
}

/** The full, explainable decision (the hot path uses `roleAllows` over cached applicable roles instead). */
export function decide(a: DecideArgs): Decision {
  const chainKeys = a.chain.map((s) => s.toLowerCase());
  const considered: ConsideredAssignment[] = a.assignments.map((asg) => {
    const role = a.role(asg.roleDefinitionId);
    const idx = chainKeys.indexOf(asg.scope.toLowerCase());
    const base = {
      id: assignmentId(asg), name: asg.name, scope: asg.scope, principalId: asg.principalId, principalType: asg.principalType,
      roleDefinitionId: asg.roleDefinitionId, roleName: role?.def.roleName ?? null, applies: idx >= 0,
      via: idx < 0 ? null : idx === 0 ? 'self' : a.levels[idx] ?? null,
    };
    if (idx < 0) {
      return { ...base, outcome: 'scopeNotApplicable' as const, matchedPattern: null, excludedBy: null, reason: `Scope '${asg.scope}' is neither '${a.scope}' nor one of its ancestors.` };
    }
    if (!role) return { ...base, outcome: 'roleDefinitionMissing' as const, matchedPattern: null, excludedBy: null, reason: `Role definition ${asg.roleDefinitionId} no longer exists.` };
    return { ...base, ...judge(role, a.kind, a.operation) };
  });
  const rank = (c: ConsideredAssignment) => (c.applies ? chainKeys.indexOf(c.scope.toLowerCase()) : Number.MAX_SAFE_INTEGER);
  considered.sort((x, y) => rank(x) - rank(y) || x.name.localeCompare(y.name));
  const deciding = considered.find((c) => c.outcome === 'granted') ?? null;
  const label = a.kind === 'action' ? 'action' : 'data action';
  let reason: string;
  if (deciding) {
    reason = `Allowed: role '${deciding.roleName}' assigned at '${deciding.scope}'${deciding.via === 'self' ? '' : ` (inherited from the ${deciding.via})`} grants ${label} '${a.operation}' through pattern '${deciding.matchedPattern}'.`;
  } else if (!considered.some((c) => c.applies)) {
    reason = `Denied: principal ${a.principalId} has no role assignment at '${a.scope}' or any of its ancestors.`;
  } else {
    reason = `Denied: none of the ${considered.filter((c) => c.applies).length} applicable role assignment(s) grants ${label} '${a.operation}'.`;
  }
  return {
    allowed: deciding !== null, principalId: a.principalId, scope: a.scope, kind: a.kind, operation: a.operation,
    decidingAssignment: deciding,
    decidingRole: deciding ? { id: deciding.roleDefinitionId, roleName: deciding.roleName ?? '' } : null,
    matchedPattern: deciding?.matchedPattern ?? null,
    scopesChecked: a.chain, considered, reason,
  };
}
