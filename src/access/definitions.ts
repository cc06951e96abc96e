import { z } from 'zod';
import { AE, AccessError } from './errors.ts';
import type { Permission } from './model.ts';
import { validatePattern } from './patterns.ts';
import { isGuid, parseScope, type ParsedScope } from './scope.ts';

/**
 * A custom role as a caller writes it, in any of the three shapes Azure users know:
 * - ARM REST: `{ name?, properties: { roleName, description, type, permissions: [{actions, notActions, dataActions, notDataActions}], assignableScopes } }`
 * - flattened (az CLI output, Bicep-like config): `{ name?, roleName, description, roleType?, permissions, assignableScopes }`
 * - PowerShell / `az role definition create`: `{ Name, Id?, IsCustom?, Description, Actions, NotActions, DataActions, NotDataActions, AssignableScopes }` (any key casing)
 */
export interface RoleDefinitionInput {
  /** GUID when the caller gave one. */
  name?: string;
  roleName: string;
  description: string;
  permissions: Permission[];
  assignableScopes: string[];
}

const MAX_LIST = 5000;
const MAX_ASSIGNABLE_SCOPES = 2000;
const strList = z.array(z.string().max(512)).max(MAX_LIST);
const permission = z.object({
  actions: strList.nullish(),
  notActions: strList.nullish(),
  dataActions: strList.nullish(),
  notDataActions: strList.nullish(),
  condition: z.unknown().optional(),
  conditionVersion: z.unknown().optional(),
});
const core = z.object({
  roleName: z.string().max(512),
  description: z.string().max(4096).nullish(),
  type: z.string().max(64).nullish(),
  roleType: z.string().max(64).nullish(),
  permissions: z.array(permission).max(16),
  assignableScopes: z.array(z.string().max(2048)).max(MAX_ASSIGNABLE_SCOPES + 1).nullish(),
});

function lowerKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
}

function issue(err: z.ZodError): string {
  const first = err.issues[0]!;
  return `'${first.path.join('.') || 'body'}': ${first.message}`;
}

/** Reads any of the three shapes into one; structural problems are `InvalidRequestContent`. */
export function parseRoleDefinitionInput(body: unknown): RoleDefinitionInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw AE.invalidRequestContent('expected a JSON object describing a role definition.');
  const o = body as Record<string, unknown>;
  const props = o.properties && typeof o.properties === 'object' && !Array.isArray(o.properties) ? o.properties as Record<string, unknown> : undefined;
  let name = typeof o.name === 'string' ? o.name : undefined;
  let flat: Record<string, unknown>;
  if (props) {
    flat = props;
  } else if (typeof o.roleName === 'string') {
    flat = o;
  } else {
    // PowerShell shape: Name is the display name and Id the GUID.
    const l = lowerKeys(o);
    if (!('actions' in l) && !('dataactions' in l) && !('name' in l)) throw AE.invalidRequestContent("expected 'properties' (ARM), 'roleName' (flattened) or 'Name' with 'Actions'/'DataActions' (PowerShell).");
    name = typeof l.id === 'string' && l.id ? l.id : undefined;
    flat = {
      roleName: l.name, description: l.description,
      permissions: [{ actions: l.actions, notActions: l.notactions, dataActions: l.dataactions, notDataActions: l.notdataactions }],
      assignableScopes: l.assignablescopes,
    };
  }
  const r = core.safeParse(flat);
  if (!r.success) throw AE.invalidRequestContent(issue(r.error));
  const d = r.data;
  const t = d.type ?? d.roleType;
  if (t && t.toLowerCase() !== 'customrole') throw AE.invalidRoleDefinition(`Only custom roles can be created; 'type' must be CustomRole, not '${t.slice(0, 64)}'.`);
  for (const p of d.permissions) {
    if (p.condition !== undefined && p.condition !== null) throw AE.invalidRoleDefinition('Lapis does not evaluate conditions in role definitions; remove condition and conditionVersion.');
  }
  if (name !== undefined) name = normaliseRoleDefinitionName(name);
  return {
    name,
    roleName: d.roleName,
    description: d.description ?? '',
    permissions: d.permissions.map((p) => ({ actions: p.actions ?? [], notActions: p.notActions ?? [], dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] })),
    assignableScopes: d.assignableScopes ?? [],
  };
}

/** A role definition id in any ARM form (bare GUID, or `…/providers/Microsoft.Authorization/roleDefinitions/{guid}`) → the GUID. */
export function normaliseRoleDefinitionName(id: string): string {
  const m = /^(?:.*\/providers\/Microsoft\.Authorization\/roleDefinitions\/)?([^/]+)$/i.exec(id.trim());
  const guid = m?.[1];
  if (!guid || !isGuid(guid)) throw AE.invalidRoleDefinitionId(id);
  return guid.toLowerCase();
}

/**
 * Validates a custom role as Azure does: a name; at least one assignable scope, never `/`, at
 * most one management group, at most 2000; every permission pattern well formed and naming a real
 * provider; DataActions never assignable at a management group. Returns the canonical scopes.
 */
export function validateCustomRole(input: RoleDefinitionInput): { assignableScopes: ParsedScope[]; permissions: Permission[] } {
  const roleName = input.roleName.trim();
  if (roleName.length === 0) throw AE.invalidRoleDefinition('A custom role needs a roleName.');
  if (roleName.length > 128) throw AE.invalidRoleDefinition('A role name is at most 128 characters.');
  if (input.description.length > 1024) throw AE.invalidRoleDefinition('A role description is at most 1024 characters.');
  if (input.permissions.length === 0) throw AE.invalidRoleDefinition('A custom role needs a permissions entry.');

  if (input.assignableScopes.length === 0) throw AE.invalidAssignableScopes('A custom role must have at least one assignable scope: a management group, subscription or resource group.');
  if (input.assignableScopes.length > MAX_ASSIGNABLE_SCOPES) throw AE.invalidAssignableScopes(`A custom role has at most ${MAX_ASSIGNABLE_SCOPES} assignable scopes.`);
  const scopes: ParsedScope[] = [];
  for (const s of input.assignableScopes) {
    let p: ParsedScope;
    try {
      p = parseScope(s);
    } catch (err) {
      if (err instanceof AccessError) throw AE.invalidAssignableScopes(`Assignable scope '${String(s).slice(0, 300)}' is not valid: ${err.message}`);
      throw err;
    }
    if (p.level === 'root') throw AE.invalidAssignableScopes("Only built-in roles may use the root scope '/' as an assignable scope.");
    if (!scopes.some((x) => x.key === p.key)) scopes.push(p);
  }
  const mgs = scopes.filter((p) => p.level === 'managementGroup');
  if (mgs.length > 1) throw AE.invalidAssignableScopes('A custom role can have only one management group in its assignable scopes.');

  const permissions = input.permissions.map((p) => ({
    actions: p.actions.map((a) => validatePattern(a, 'action')),
    notActions: p.notActions.map((a) => validatePattern(a, 'action')),
    dataActions: p.dataActions.map((a) => validatePattern(a, 'dataAction')),
    notDataActions: p.notDataActions.map((a) => validatePattern(a, 'dataAction')),
  }));
  const hasData = permissions.some((p) => p.dataActions.length > 0);
  if (hasData && mgs.length > 0) throw AE.invalidAssignableScopes('Custom roles with DataActions cannot be assigned at management group scope; use subscriptions or resource groups as assignable scopes.');
  return { assignableScopes: scopes, permissions };
}
