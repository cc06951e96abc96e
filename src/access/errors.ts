/**
 * Errors of the access-control piece, carrying the HTTP status and the error code ARM answers
 * with in the same situation, so the management API can render them as `{ error: { code, message } }`
 * unchanged. Messages follow Azure's wording where Azure's is known.
 */
export class AccessError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'AccessError';
    this.status = status;
    this.code = code;
  }
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** The errors by situation. */
export const AE = {
  // ---- scopes ------------------------------------------------------------------------------
  invalidScope: (scope: string, why: string) => new AccessError(400, 'InvalidScope', `The scope '${clip(scope)}' is not valid: ${why}`),
  missingSubscription: () => new AccessError(400, 'MissingSubscription', 'The request did not have a subscription or a valid tenant level resource provider.'),
  invalidSubscriptionId: (id: string) => new AccessError(400, 'InvalidSubscriptionId', `The provided subscription identifier '${clip(id, 100)}' is malformed or invalid.`),
  subscriptionNotFound: (id: string) => new AccessError(404, 'SubscriptionNotFound', `The subscription '${clip(id, 100)}' could not be found.`),
  managementGroupNotFound: (id: string) => new AccessError(404, 'ManagementGroupNotFound', `The management group '${clip(id, 100)}' could not be found.`),
  invalidHierarchy: (why: string) => new AccessError(400, 'InvalidManagementGroupHierarchy', why),

  // ---- role definitions ----------------------------------------------------------------------
  invalidRoleDefinitionId: (id: string) => new AccessError(400, 'InvalidRoleDefinitionId', `The role definition ID '${clip(id, 200)}' is not valid. The role definition ID must be a GUID.`),
  roleDefinitionDoesNotExist: (id: string, status = 404, hint = '') => new AccessError(status, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${clip(id, 200)}' does not exist.${hint ? ` ${hint}` : ''}`),
  roleDefinitionWithSameNameExists: () => new AccessError(409, 'RoleDefinitionWithSameNameExists', 'A custom role with the same name already exists in this directory. Use a different name.'),
  roleDefinitionHasAssignments: (n: number) => new AccessError(409, 'RoleDefinitionHasAssignments', `There are existing role assignments referencing role (${n} assignment${n === 1 ? '' : 's'}); delete them first.`),
  builtInRoleNotModifiable: (roleName: string) => new AccessError(400, 'BuiltInRoleCannotBeModified', `The built-in role '${clip(roleName, 128)}' cannot be created, updated or deleted.`),
  invalidAction: (p: string) => new AccessError(400, 'InvalidActionOrNotAction', `'${clip(p, 200)}' does not match any of the actions supported by the providers.`),
  invalidDataAction: (p: string, why?: string) => new AccessError(400, 'InvalidDataActionOrNotDataAction', `'${clip(p, 200)}' does not match any of the data actions supported by the providers.${why ? ` ${why}` : ''}`),
  invalidAssignableScopes: (why: string) => new AccessError(400, 'InvalidAssignableScopes', why),
  invalidRoleDefinition: (why: string) => new AccessError(400, 'InvalidRoleDefinition', why),

  // ---- role assignments ----------------------------------------------------------------------
  invalidRoleAssignmentId: (id: string) => new AccessError(400, 'InvalidRoleAssignmentId', `The role assignment ID '${clip(id, 200)}' is not valid. The role assignment ID must be a GUID.`),
  invalidPrincipalId: (id: string) => new AccessError(400, 'InvalidPrincipalId', `The principal ID '${clip(id, 100)}' is not valid. The principal ID must be a GUID.`),
  principalNotFound: (id: string, tenantId: string) => new AccessError(400, 'PrincipalNotFound', `Principal ${clip(id, 100).replace(/-/g, '')} does not exist in the directory ${tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`),
  unmatchedPrincipalType: (id: string, actual: string, given: string) => new AccessError(400, 'UnmatchedPrincipalType', `The PrincipalId '${id.replace(/-/g, '')}' has type '${actual}' , which is different from specified PrincipalType '${clip(given, 40)}'.`),
  invalidPrincipalType: (given: string) => new AccessError(400, 'InvalidPrincipalType', `The principal type '${clip(given, 40)}' is not valid. Use User, Group, ServicePrincipal, ForeignGroup or Device.`),
  roleAssignmentExists: (existingName: string) => new AccessError(409, 'RoleAssignmentExists', `The role assignment already exists. The ID of the existing role assignment is ${existingName.replace(/-/g, '')}.`),
  roleAssignmentNotFound: (name: string) => new AccessError(404, 'RoleAssignmentNotFound', `The role assignment '${clip(name, 100)}' is not found.`),
  roleAssignmentUpdateNotPermitted: () => new AccessError(409, 'RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.'),
  conditionNotSupported: () => new AccessError(400, 'RoleAssignmentConditionNotSupported', 'Lapis does not evaluate ABAC conditions; create the role assignment without condition and conditionVersion.'),

  // ---- requests ------------------------------------------------------------------------------
  invalidRequestContent: (why: string) => new AccessError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: ${clip(why)}`),
  invalidOperation: (op: string) => new AccessError(400, 'InvalidOperation', `'${clip(op, 200)}' is not an operation name of the form {Company}.{Provider}/{resourceType}/.../{action}.`),
} as const;
