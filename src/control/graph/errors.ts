import { randomUUID } from 'node:crypto';

/** Microsoft Graph's error shape: `{ error: { code, message, innerError } }`. */
export class GraphError extends Error {
  readonly status: number;
  readonly code: string;
  /** `WWW-Authenticate` for 401s: the reason, where a client that reads no body still sees it. */
  readonly challenge?: string;
  constructor(status: number, code: string, message: string, challenge?: string) {
    super(message);
    this.name = 'GraphError';
    this.status = status;
    this.code = code;
    this.challenge = challenge;
  }

  body(clientRequestId?: string): Record<string, unknown> {
    return {
      error: {
        code: this.code,
        message: this.message,
        innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': randomUUID(), 'client-request-id': clientRequestId ?? randomUUID() },
      },
    };
  }
}

export const GE = {
  unauthenticated: (why: string, authority: string) => new GraphError(401, 'InvalidAuthenticationToken', why,
    `Bearer realm="", authorization_uri="${authority}", error="invalid_token", error_description="${why.replace(/["\\]/g, "'")}"`),
  forbidden: () => new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
  notFound: (what: string, id: string) => new GraphError(404, 'Request_ResourceNotFound', `Resource '${id.slice(0, 100)}' does not exist or one of its queried reference-property objects are not present. (${what})`),
  badRequest: (message: string) => new GraphError(400, 'Request_BadRequest', message),
  conflict: (message: string) => GE.badRequest(message),
  internal: () => new GraphError(500, 'generalException', 'An internal error occurred.'),
  segmentNotFound: (segment: string) => new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment.slice(0, 100)}'.`),
  methodNotAllowed: () => new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request uri.'),
} as const;
