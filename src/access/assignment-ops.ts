import type { AccessState } from './access-state.ts';
import { AE } from './errors.ts';
import { STORE_KIND, type RoleAssignment, type RoleDefinition } from './model.ts';
import { parseAssignmentRequest, type CreateRoleAssignment, type ListRoleAssignments } from './requests.ts';
import { saveAssignment } from './saves.ts';
import { isGuid, parseScope, type ParsedScope } from './scope.ts';
import { removeAssignment } from './store-writes.ts';

// Role assignment writes and ARM's listing, kept apart from AccessControl so the class stays a
// thin facade; each function is the body of the AccessControl method of the same name.

/** A role is assignable at a scope when one of its assignable scopes is that scope or an ancestor. */
export function assignable(state: AccessState, def: RoleDefinition, target: ParsedScope): boolean {
  const chain = new Set(state.tree().ancestorKeys(target));
  return def.assignableScopes.some((s) => chain.has(s.toLowerCase()));
}

export async function createRoleAssignment(state: AccessState, req: CreateRoleAssignment): Promise<{ assignment: RoleAssignment; created: boolean }> {
  const { name, roleId, principalId, given, description } = parseAssignmentRequest(req);
  // Same as AccessControl.resolveScope, after the request is parsed so errors keep their order.
  const target = parseScope(req.scope);
  state.tree().assertKnown(target);

  const def = state.defs.get(roleId);
  if (!def) throw AE.roleDefinitionDoesNotExist(roleId, 400);
  if (!assignable(state, def, target)) {
    throw AE.roleDefinitionDoesNotExist(roleId, 400, `Role '${def.roleName}' is not assignable at scope '${target.id}'; its assignable scopes are ${def.assignableScopes.map((s) => `'${s}'`).join(', ')}.`);
  }
  const principal = state.resolvePrincipal(principalId);
  if (!principal) throw AE.principalNotFound(principalId, state.tenantId);
  if (given && given !== principal.principalType) throw AE.unmatchedPrincipalType(principalId, principal.principalType, given);

  return saveAssignment(state.writes, {
    key: name.toLowerCase(), scope: target, roleDefinitionId: roleId, principalId, principalType: principal.principalType, description, by: req.createdBy ?? null,
  });
}

export async function deleteRoleAssignment(state: AccessState, name: string, scope?: string): Promise<RoleAssignment | undefined> {
  if (!isGuid(name)) throw AE.invalidRoleAssignmentId(name);
  const key = scope === undefined ? undefined : parseScope(scope).key;
  const a = state.assignments.get(name.toLowerCase());
  if (!a || (key !== undefined && a.scope.toLowerCase() !== key)) return undefined;
  const before = state.records.before(STORE_KIND.roleAssignment, a.name);
  const removed = await removeAssignment(state.store, a.name);
  await state.records.applyOwn(STORE_KIND.roleAssignment, a.name, before, undefined);
  return removed ?? a;
}

export function listRoleAssignments(state: AccessState, q: ListRoleAssignments): RoleAssignment[] {
  const target = parseScope(q.scope);
  const tree = state.tree();
  const above = new Set(tree.ancestorKeys(target));
  const pid = q.principalId?.toLowerCase();
  const pool = pid ? state.byPrincipal.get(pid) ?? [] : [...state.assignments.values()];
  return pool.filter((a) => {
    const k = a.scope.toLowerCase();
    if (above.has(k)) return true;
    if (q.atScope) return false;
    return tree.ancestorKeys(parseScope(a.scope)).includes(target.key);
  });
}
