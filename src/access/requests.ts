import { randomUUID } from 'node:crypto';
import type { Store } from '../store/types.ts';
import { normaliseRoleDefinitionName } from './definitions.ts';
import { AE } from './errors.ts';
import { PRINCIPAL_TYPES, type PrincipalResolver, type PrincipalType } from './model.ts';
import type { PermissionKind } from './patterns.ts';
import type { ScopeTreeInput } from './scope-tree.ts';
import { isGuid } from './scope.ts';

export interface AccessControlOptions {
  store: Store;
  /** Resolves an object id to a user or service principal (apps and managed identities). */
  resolvePrincipal: PrincipalResolver;
  /** The directory's tenant, for Azure-shaped messages. */
  tenantId?: string;
  scopeTree?: ScopeTreeInput;
  now?: () => Date;
  /** Cached (principal, scope) entries kept at most; the oldest go first. Default 20 000. */
  cacheLimit?: number;
  /** Denial records kept in memory on this node (the oldest go first). Default 1000. */
  denialCapacity?: number;
  /** This node's name, in denial records. */
  nodeName?: string;
  /** Where a change that could not be read from the store is reported. */
  onError?: (err: unknown) => void;
}

/** A permission check: exactly one of `action` (control plane) and `dataAction` (data plane). */
export interface AccessCheck {
  principalId: string;
  /** Scope string of the target: a resource id, or a hub below a Web PubSub resource, … */
  scope: string;
  action?: string;
  dataAction?: string;
}

export interface CreateRoleAssignment {
  /** GUID; generated when absent. */
  name?: string;
  scope: string;
  /** GUID or any ARM form `…/providers/Microsoft.Authorization/roleDefinitions/{guid}`. */
  roleDefinitionId: string;
  principalId: string;
  principalType?: string;
  description?: string | null;
  condition?: unknown;
  conditionVersion?: unknown;
  /** Object id of whoever creates it. */
  createdBy?: string | null;
}

export interface ListRoleAssignments {
  scope: string;
  /** ARM `$filter=atScope()`: only assignments at the scope or above it. */
  atScope?: boolean;
  principalId?: string;
}

/** A create request checked as ARM checks it, before anything is looked up. */
export function parseAssignmentRequest(req: CreateRoleAssignment): { name: string; roleId: string; principalId: string; given: PrincipalType | undefined; description: string | null } {
  const name = req.name === undefined ? randomUUID() : req.name;
  if (!isGuid(name)) throw AE.invalidRoleAssignmentId(name);
  const roleId = normaliseRoleDefinitionName(req.roleDefinitionId);
  if (typeof req.principalId !== 'string' || !isGuid(req.principalId)) throw AE.invalidPrincipalId(String(req.principalId));
  const principalId = req.principalId.toLowerCase();
  if ((req.condition !== undefined && req.condition !== null) || (req.conditionVersion !== undefined && req.conditionVersion !== null)) throw AE.conditionNotSupported();
  let given: PrincipalType | undefined;
  if (req.principalType !== undefined && req.principalType !== null) {
    given = PRINCIPAL_TYPES.find((t) => t.toLowerCase() === String(req.principalType).toLowerCase());
    if (!given) throw AE.invalidPrincipalType(String(req.principalType));
  }
  const description = req.description ?? null;
  if (description !== null && (typeof description !== 'string' || description.length > 2048)) throw AE.invalidRequestContent('description is a string of at most 2048 characters.');
  return { name, roleId, principalId, given, description };
}

/** Which operation a check asks about: exactly one of action and dataAction must be given. */
export function operationOf(req: { action?: string; dataAction?: string }): { kind: PermissionKind; op: string } {
  if ((req.action === undefined) === (req.dataAction === undefined)) throw AE.invalidRequestContent('give exactly one of action and dataAction.');
  return req.action !== undefined ? { kind: 'action', op: req.action } : { kind: 'dataAction', op: req.dataAction! };
}
