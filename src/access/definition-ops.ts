import { randomUUID } from 'node:crypto';
import type { AccessState } from './access-state.ts';
import { ROLE_NAME_ALIASES } from './builtin-roles.ts';
import { normaliseRoleDefinitionName, parseRoleDefinitionInput, validateCustomRole } from './definitions.ts';
import { AE } from './errors.ts';
import { STORE_KIND, type RoleDefinition } from './model.ts';
import { saveDefinition } from './saves.ts';
import { removeDefinition } from './store-writes.ts';

// Role definition lookups and writes, kept apart from AccessControl so the class stays a thin
// facade; each function is the body of the AccessControl method of the same name.

export function findRoleDefinitionByName(state: AccessState, roleName: string): RoleDefinition | undefined {
  const n = roleName.trim().toLowerCase();
  for (const d of state.defs.values()) if (d.roleName.toLowerCase() === n) return d;
  const alias = ROLE_NAME_ALIASES[n];
  return alias ? state.defs.get(alias) : undefined;
}

export async function putRoleDefinition(state: AccessState, name: string | undefined, body: unknown, by: string | null): Promise<{ definition: RoleDefinition; created: boolean }> {
  const input = parseRoleDefinitionInput(body);
  const urlName = name === undefined ? undefined : normaliseRoleDefinitionName(name);
  if (urlName && input.name && urlName !== input.name) throw AE.invalidRequestContent(`the role definition name in the body (${input.name}) differs from the one in the URL (${urlName}).`);
  const id = urlName ?? input.name ?? randomUUID();
  const builtIn = state.defs.get(id);
  if (builtIn?.roleType === 'BuiltInRole') throw AE.builtInRoleNotModifiable(builtIn.roleName);
  const v = validateCustomRole(input);
  const tree = state.tree();
  for (const s of v.assignableScopes) if (s.subscriptionId && !tree.hasSubscription(s.subscriptionId)) throw AE.subscriptionNotFound(s.subscriptionId);
  const roleName = input.roleName.trim();
  const clash = findRoleDefinitionByName(state, roleName);
  if (clash && clash.name !== id) throw AE.roleDefinitionWithSameNameExists();
  return saveDefinition(state.writes, id, { roleName, description: input.description, permissions: v.permissions, assignableScopes: v.assignableScopes.map((s) => s.id) }, by);
}

export async function deleteRoleDefinition(state: AccessState, id: string): Promise<RoleDefinition | undefined> {
  const name = normaliseRoleDefinitionName(id);
  const def = state.defs.get(name);
  if (def?.roleType === 'BuiltInRole') throw AE.builtInRoleNotModifiable(def.roleName);
  const using = [...state.assignments.values()].filter((a) => a.roleDefinitionId === name).length;
  if (using) throw AE.roleDefinitionHasAssignments(using);
  const before = state.records.before(STORE_KIND.roleDefinition, name);
  const removed = await removeDefinition(state.store, name);
  await state.records.applyOwn(STORE_KIND.roleDefinition, name, before, undefined);
  return removed ?? def;
}
