import { assignmentId, type ParsedScope, type Permission, type RoleAssignment, type RoleDefinition } from '../../access/index.ts';
import { parseScope } from '../../access/index.ts';

/** ARM JSON for Microsoft.Authorization resources (api-version 2022-04-01). */

/** A role definition's id as ARM renders it at a scope: below the scope's subscription, else in the tenant-level form. */
export function roleDefinitionResourceId(at: ParsedScope, guid: string): string {
  const prefix = at.subscriptionId ? `/subscriptions/${at.subscriptionId}` : '';
  return `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

export function roleAssignmentJson(a: RoleAssignment) {
  return {
    properties: {
      roleDefinitionId: roleDefinitionResourceId(parseScope(a.scope), a.roleDefinitionId),
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: null,
      conditionVersion: null,
      createdOn: a.createdOn,
      updatedOn: a.updatedOn,
      createdBy: a.createdBy,
      updatedBy: a.updatedBy,
      delegatedManagedIdentityResourceId: null,
      description: a.description,
    },
    id: assignmentId(a),
    type: 'Microsoft.Authorization/roleAssignments',
    name: a.name,
  };
}

export function roleDefinitionJson(d: RoleDefinition, at: ParsedScope) {
  return {
    id: roleDefinitionResourceId(at, d.name),
    name: d.name,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: d.roleName,
      type: d.roleType,
      description: d.description,
      assignableScopes: d.assignableScopes,
      permissions: d.permissions.map(permissionJson),
      createdOn: d.createdOn,
      updatedOn: d.updatedOn,
      createdBy: d.createdBy,
      updatedBy: d.updatedBy,
    },
  };
}

export function permissionJson(p: Permission) {
  return { actions: p.actions, notActions: p.notActions, dataActions: p.dataActions, notDataActions: p.notDataActions };
}
