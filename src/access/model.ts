/** Access-control records as stored and served. Names follow ARM's Microsoft.Authorization. */

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  /** GUID, lower case: the role definition's `name`. */
  name: string;
  roleName: string;
  description: string;
  roleType: 'BuiltInRole' | 'CustomRole';
  permissions: Permission[];
  /** Canonical scope ids. */
  assignableScopes: string[];
  createdOn: string | null;
  updatedOn: string | null;
  createdBy: string | null;
  updatedBy: string | null;
}

/** ARM's principal types; Lapis's directory has users and service principals (apps, managed identities). */
export const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'] as const;
export type PrincipalType = typeof PRINCIPAL_TYPES[number];

export interface RoleAssignment {
  /** GUID, lower case. */
  name: string;
  /** Canonical scope id. */
  scope: string;
  /** The role definition's GUID (lower case). */
  roleDefinitionId: string;
  /** Object id, lower case. */
  principalId: string;
  principalType: PrincipalType;
  description: string | null;
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
  updatedBy: string | null;
}

/** What a principal resolver says about an object id (or undefined: no such principal). */
export interface ResolvedPrincipal {
  principalType: 'User' | 'ServicePrincipal' | 'Group';
  displayName?: string;
}

/** Looks a principal up by object id; supplied by whoever composes Lapis (identity directory). */
export type PrincipalResolver = (principalId: string) => ResolvedPrincipal | undefined;

export const STORE_KIND = {
  roleDefinition: 'access.roleDefinition',
  roleAssignment: 'access.roleAssignment',
} as const;
