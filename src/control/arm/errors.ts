import { AccessError, type PermissionKind, type TokenFailure } from '../../access/index.ts';

/**
 * ARM's error shape: `{ error: { code, message } }`, with an optional `WWW-Authenticate` challenge
 * for 401s. Every code the management API (Microsoft.Authorization, Microsoft.SignalRService,
 * Microsoft.Resources) answers with is built by `ARM` below, so each is defined once and listed in
 * docs/management.md. Role-model refusals come from the access piece's catalogue (`AccessError`,
 * docs/rbac.md) and are passed through in the same shape.
 */
export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly challenge?: string;
  /** A 403's missing operation, for the denial record ("why was this denied"). */
  denied?: { kind: PermissionKind; operation: string; scope: string };
  /** A 401's token failure, for the denial record. */
  failure?: TokenFailure;
  constructor(status: number, code: string, message: string, challenge?: string) {
    super(message);
    this.name = 'ArmError';
    this.status = status;
    this.code = code;
    this.challenge = challenge;
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }

  static from(err: AccessError): ArmError {
    return new ArmError(err.status, err.code, err.message);
  }
}

export const SUPPORTED_API_VERSIONS = ['2022-04-01', '2022-05-01-preview'] as const;

/** ARM's 401 codes, by what is wrong with the bearer token. */
export const ARM_AUTH_CODES = ['AuthenticationFailed', 'AuthenticationFailedInvalidHeader', 'InvalidAuthenticationToken',
  'InvalidAuthenticationTokenAudience', 'InvalidAuthenticationTokenTenant', 'ExpiredAuthenticationToken'] as const;
export type ArmAuthCode = typeof ARM_AUTH_CODES[number];

export interface LinkedCheck { client: string; objectId: string; action: string; scope: string; linkedAction: string; linkedScope: string }

function denied(e: ArmError, action: string, scope: string): ArmError {
  e.denied = { kind: 'action', operation: action, scope };
  return e;
}

export const ARM = {
  // ---- request, routing, versions
  missingApiVersion: () => new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.'),
  invalidApiVersion: (v: string, supported: readonly string[] = SUPPORTED_API_VERSIONS) => new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${v.slice(0, 40)}' is invalid. The supported versions are '${supported.join(',')}'.`),
  noProvider: (version: string, type: string, supported: readonly string[]) => new ArmError(400, 'NoRegisteredProviderFound',
    `No registered resource provider found for API version '${version.slice(0, 40)}' and type '${type.slice(0, 60)}'. The supported api-versions are '${supported.join(', ')}'.`),
  notFound: (path: string) => new ArmError(404, 'NotFound', `No Lapis management operation matches '${path.slice(0, 300)}'.`),
  invalidResourceType: (type: string, version: string, namespace = 'Microsoft.Authorization') => new ArmError(404, 'InvalidResourceType',
    `The resource type '${type.slice(0, 100)}' could not be found in the namespace '${namespace}' for api version '${version.slice(0, 40)}'.`),
  methodNotAllowed: (method: string) => new ArmError(405, 'MethodNotAllowed', `The HTTP method '${method.slice(0, 10)}' is not supported for this resource.`),
  invalidFilter: (filter: string, supported: string) => new ArmError(400, 'InvalidFilter', `The $filter '${filter.slice(0, 200)}' is not supported. Supported: ${supported}.`),
  badRequest: (message: string) => new ArmError(400, 'InvalidRequestContent', message),
  /** The activity log's `$filter` / `$skipToken` (Azure Monitor answers BadRequest). */
  activityFilter: (message: string) => new ArmError(400, 'BadRequest', message),
  unsupportedMediaType: (type: string) => new ArmError(415, 'UnsupportedMediaType', `The content media type '${type.slice(0, 100)}' is not supported. Only 'application/json' is supported.`),
  tooLarge: (limit: number) => new ArmError(413, 'RequestEntityTooLarge', `The request body exceeds ${limit} bytes.`),
  internal: () => new ArmError(500, 'InternalServerError', 'An internal error occurred.'),

  // ---- authentication and authorisation
  unauthenticated: (code: ArmAuthCode, message: string, challenge: string) => new ArmError(401, code, message, challenge),
  authorizationFailed: (client: string, objectId: string, action: string, scope: string) => denied(new ArmError(403, 'AuthorizationFailed',
    `The client '${client}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`), action, scope),
  linkedAuthorizationFailed: (c: LinkedCheck) => denied(new ArmError(403, 'LinkedAuthorizationFailed',
    `The client '${c.client}' with object id '${c.objectId}' has permission to perform action '${c.action}' on scope '${c.scope}'; however, it does not have permission to perform action(s) '${c.linkedAction}' on the linked scope(s) '${c.linkedScope.slice(0, 300)}' (respectively) or the linked scope(s) are invalid.`), c.linkedAction, c.linkedScope),
  denialNotFound: (id: string, capacity: number) => new ArmError(404, 'DenialNotFound', `No denial '${id.slice(0, 40)}' is kept on this node: denial records live in memory on the node that refused the request, the newest ${capacity} only.`),

  // ---- resources
  subscriptionNotFound: (sub: string) => new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub.slice(0, 60)}' could not be found.`),
  resourceNotFound: (rg: string, type: string, name: string) => new ArmError(404, 'ResourceNotFound',
    `The Resource '${type}/${name.slice(0, 100)}' under resource group '${rg.slice(0, 90)}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`),
  invalidResourceName: (name: string) => new ArmError(400, 'InvalidResourceName',
    `The resource name '${name.slice(0, 100)}' is invalid. It must be 3–63 letters, digits or hyphens, start with a letter and end with a letter or digit.`),
  invalidHubName: (name: string) => new ArmError(400, 'InvalidHubName',
    `The hub name '${name.slice(0, 130)}' is invalid. It must start with a letter and contain only letters, digits and _\`,.[] (at most 128 characters).`),
  nameNotAvailable: (name: string) => new ArmError(409, 'NameNotAvailable', `The name '${name.slice(0, 100)}' is already in use by another resource.`),
  anotherOperationInProgress: (name: string) => new ArmError(409, 'AnotherOperationInProgress', `Another operation on the resource '${name.slice(0, 100)}' is in progress (it is being created through another request or node); retry once it has finished.`),
  locationRequired: () => new ArmError(400, 'LocationRequired', 'The location property is required for this definition.'),
  locationChange: (name: string, rg: string, had: string, want: string) => new ArmError(400, 'InvalidResourceLocation',
    `The resource '${name}' already exists in location '${had}' in resource group '${rg}'. A resource with the same name cannot be created in location '${want.slice(0, 64)}'. Please select a new resource name.`),
  operationNotSupported: (message: string) => new ArmError(409, 'OperationNotSupported', message),
} as const;
