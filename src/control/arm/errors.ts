import { AccessError } from '../../access/index.ts';

/** ARM's error shape: `{ error: { code, message } }`, with an optional `WWW-Authenticate` challenge for 401s. */
export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly challenge?: string;
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

export const ARM = {
  missingApiVersion: () => new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.'),
  invalidApiVersion: (v: string, supported: readonly string[] = SUPPORTED_API_VERSIONS) => new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${v.slice(0, 40)}' is invalid. The supported versions are '${supported.join(',')}'.`),
  authorizationFailed: (client: string, objectId: string, action: string, scope: string) => new ArmError(403, 'AuthorizationFailed',
    `The client '${client}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`),
  notFound: (path: string) => new ArmError(404, 'NotFound', `No Lapis management operation matches '${path.slice(0, 300)}'.`),
  invalidResourceType: (type: string, version: string) => new ArmError(404, 'InvalidResourceType', `The resource type '${type.slice(0, 100)}' could not be found in the namespace 'Microsoft.Authorization' for api version '${version}'.`),
  methodNotAllowed: (method: string) => new ArmError(405, 'MethodNotAllowed', `The HTTP method '${method}' is not supported for this resource.`),
  invalidFilter: (filter: string, supported: string) => new ArmError(400, 'InvalidFilter', `The $filter '${filter.slice(0, 200)}' is not supported. Supported: ${supported}.`),
  badRequest: (message: string) => new ArmError(400, 'InvalidRequestContent', message),
  unsupportedMediaType: (type: string) => new ArmError(415, 'UnsupportedMediaType', `The content media type '${type.slice(0, 100)}' is not supported. Only 'application/json' is supported.`),
  internal: () => new ArmError(500, 'InternalServerError', 'An internal error occurred.'),
} as const;
