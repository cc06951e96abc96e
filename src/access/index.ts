/**
 * Access control: Azure RBAC for Lapis (entra-compat §5). Scopes, built-in and custom role
 * definitions, role assignments, and explainable permission checks.
 */
export { AccessControl } from './access-control.ts';
export type { AccessControlOptions, AccessCheck, CreateRoleAssignment, ListRoleAssignments } from './access-control.ts';
export { AccessError, AE } from './errors.ts';
export { BUILT_IN_ROLES, OWNER_ROLE_ID, USER_ACCESS_ADMINISTRATOR_ROLE_ID } from './builtin-roles.ts';
export { parseRoleDefinitionInput, normaliseRoleDefinitionName, validateCustomRole } from './definitions.ts';
export type { RoleDefinitionInput } from './definitions.ts';
export { assignmentId } from './evaluate.ts';
export type { Decision, ConsideredAssignment, Outcome } from './evaluate.ts';
export { PRINCIPAL_TYPES, STORE_KIND } from './model.ts';
export type { Permission, RoleDefinition, RoleAssignment, PrincipalType, PrincipalResolver, ResolvedPrincipal } from './model.ts';
export { compilePattern, validatePattern, validateOperation, KNOWN_DATA_ACTIONS } from './patterns.ts';
export type { PermissionKind } from './patterns.ts';
export { ScopeTree } from './scope-tree.ts';
export type { ScopeTreeInput } from './scope-tree.ts';
export { parseScope, scopeKey, sameScope, hubScope, isGuid, ROOT_SCOPE, MG_PREFIX } from './scope.ts';
export type { ParsedScope, ScopeLevel } from './scope.ts';
export { DenialLog, DENIAL_HEADER, claimedPrincipal, tokenFailureOf, unverifiedClaims } from './denials/index.ts';
export type { DenialInput, DenialRecord, DenialReceipt, DenialSurface, TokenFailure, MissingAssignment } from './denials/index.ts';
