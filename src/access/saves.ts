/**
 * The two writes of access control that build a record from what is stored now and settle races
 * between nodes in the store (store-writes.ts), then apply the result on this node at once.
 */
import type { Store } from '../store/types.ts';
import { AE } from './errors.ts';
import { STORE_KIND, type Permission, type PrincipalType, type RoleAssignment, type RoleDefinition } from './model.ts';
import type { AccessRecords } from './records.ts';
import { parseScope, type ParsedScope } from './scope.ts';
import { insertAssignment, updateAssignment, writeDefinition } from './store-writes.ts';

/** What the writes read from access control. */
export interface WriteContext {
  store: Store;
  records: AccessRecords;
  now: () => Date;
  assignable(def: RoleDefinition, target: ParsedScope): boolean;
  assignmentsOf(principalId: string): readonly RoleAssignment[];
  assignmentsOfRole(roleId: string): readonly RoleAssignment[];
}

/** Creates or replaces custom role `id` (already validated); creation time and author carry over from what is stored. */
export async function saveDefinition(ctx: WriteContext, id: string, v: { roleName: string; description: string; permissions: Permission[]; assignableScopes: string[] }, by: string | null): Promise<{ definition: RoleDefinition; created: boolean }> {
  const build = (prior: RoleDefinition | undefined): RoleDefinition => {
    const def: RoleDefinition = {
      name: id, roleName: v.roleName, description: v.description, roleType: 'CustomRole',
      permissions: v.permissions, assignableScopes: v.assignableScopes,
      createdOn: prior?.createdOn ?? ctx.now().toISOString(), updatedOn: ctx.now().toISOString(),
      createdBy: prior?.createdBy ?? by, updatedBy: by,
    };
    if (prior) {
      const outside = ctx.assignmentsOfRole(id).filter((a) => !ctx.assignable(def, parseScope(a.scope)));
      if (outside.length) throw AE.invalidAssignableScopes(`${outside.length} role assignment(s) of this role are at scopes the new assignable scopes do not cover (e.g. '${outside[0]!.scope}'); delete them first.`);
    }
    return def;
  };
  const before = ctx.records.before(STORE_KIND.roleDefinition, id);
  const r = await writeDefinition(ctx.store, id, build);
  if (r.outcome === 'nameTaken') throw AE.roleDefinitionWithSameNameExists();
  await ctx.records.applyOwn(STORE_KIND.roleDefinition, id, before, r.definition);
  return { definition: r.definition, created: r.created };
}

export interface NewAssignment {
  /** The assignment's name (GUID, lower case). */
  key: string;
  scope: ParsedScope;
  roleDefinitionId: string;
  principalId: string;
  principalType: PrincipalType;
  description: string | null;
  by: string | null;
}

/**
 * Creates an assignment (checked already), or for the same name with the same principal, role and
 * scope updates its description. Atomic in the store: another node may be creating the same name
 * or the same (principal, role, scope) right now.
 */
export async function saveAssignment(ctx: WriteContext, n: NewAssignment): Promise<{ assignment: RoleAssignment; created: boolean }> {
  const { key, principalId, roleDefinitionId: roleId, description } = n;
  const sameTarget = (p: RoleAssignment) => p.principalId === principalId && p.roleDefinitionId === roleId && p.scope.toLowerCase() === n.scope.key;
  /** The same name again: only the description may change (ARM's RoleAssignmentUpdateNotPermitted otherwise). */
  const updatePrior = async (prior: RoleAssignment): Promise<{ assignment: RoleAssignment; created: boolean }> => {
    if (!sameTarget(prior)) throw AE.roleAssignmentUpdateNotPermitted();
    if (prior.description === description) return { assignment: prior, created: false };
    const before = ctx.records.before(STORE_KIND.roleAssignment, key);
    const r = await updateAssignment(ctx.store, key, (cur) => {
      if (!sameTarget(cur)) throw AE.roleAssignmentUpdateNotPermitted();
      return cur.description === description ? undefined : { ...cur, description, updatedOn: ctx.now().toISOString(), updatedBy: n.by };
    });
    if (!r) throw AE.roleAssignmentUpdateNotPermitted();  // deleted meanwhile through another node
    await ctx.records.applyOwn(STORE_KIND.roleAssignment, key, before, r.after);
    return { assignment: r.after, created: false };
  };
  const prior = ctx.records.assignments.get(key);
  if (prior) return updatePrior(prior);
  const dup = ctx.assignmentsOf(principalId).find(sameTarget);
  if (dup) throw AE.roleAssignmentExists(dup.name);
  const now = ctx.now().toISOString();
  const a: RoleAssignment = {
    name: key, scope: n.scope.id, roleDefinitionId: roleId, principalId,
    principalType: n.principalType, description,
    createdOn: now, updatedOn: now, createdBy: n.by, updatedBy: n.by,
  };
  const before = ctx.records.before(STORE_KIND.roleAssignment, key);
  const r = await insertAssignment(ctx.store, a);
  if (r.outcome === 'duplicate') throw AE.roleAssignmentExists(r.existingName);
  if (r.outcome === 'nameTaken') return updatePrior(r.existing);
  await ctx.records.applyOwn(STORE_KIND.roleAssignment, key, before, a);
  return { assignment: a, created: true };
}
