/**
 * The data plane's error catalogue: every error a Web PubSub resource origin answers with, each
 * with a stable code, defined here and nowhere else (docs/web-pubsub.md lists them all).
 *
 * - REST (`/api/...`) and every other HTTP answer of a resource origin: JSON
 *   `{"code","message"[,"target"]}` plus `x-ms-error-code` (reference §6); 401 also carries the
 *   reason in `WWW-Authenticate`, because HEAD answers have no body.
 * - Client handshake refusals (`/client/...` upgrades): the HTTP status with a plain-text reason
 *   (what the client SDK shows) and the same code in `x-ms-error-code`.
 * - Failed acks of the JSON subprotocols: `{"name","message"}` with the service's wire names.
 */
export class DataPlaneError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  /** Set on 401/403 answers that were recorded ("why was this denied"): sent as `x-ms-lapis-denial-id`. */
  denialId: string | undefined;

  constructor(status: number, code: string, message: string, target?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.target = target;
  }

  toBody(): { code: string; message: string; target?: string } {
    return this.target === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, target: this.target };
  }
}

/** Typed 401 thrown by authenticators (missing, malformed, expired or mis-addressed credentials). */
export class AuthenticationError extends DataPlaneError {
  constructor(message: string) {
    super(401, CODES.unauthorized, message);
  }
}

/** Typed 403 thrown by `authorize` hooks (valid identity, no permission). */
export class AuthorizationError extends DataPlaneError {
  constructor(message: string) {
    super(403, CODES.forbidden, message);
  }
}

/** Every HTTP error code of a resource origin (REST and handshake), by meaning. */
export const CODES = {
  badRequest: 'Error.BadRequest',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  notFound: 'Error.NotFound',
  methodNotAllowed: 'Error.MethodNotAllowed',
  conflict: 'Error.Conflict',
  unsupportedMediaType: 'Error.UnsupportedMediaType',
  connectionLimitReached: 'Error.ConnectionLimitReached',
  tooManyPendingConnections: 'Error.TooManyPendingConnections',
  connectRejected: 'Error.ConnectRejected',
  internal: 'Error.InternalServerError',
  sessionUnavailable: 'Error.SessionUnavailable',
} as const;

export const dataPlaneErrors = {
  badRequest: (message: string, target = 'Request') => new DataPlaneError(400, CODES.badRequest, message, target),
  bodyTooLarge: (limit: number) => new DataPlaneError(400, CODES.badRequest, `The request body is larger than the limit of ${limit} bytes.`, 'Request'),
  malformedJson: () => new DataPlaneError(400, CODES.badRequest, 'The request body is not a valid JSON.', 'Request'),
  /** An OData filter the parser refused (its internal `FilterSyntaxError` message carries the position). */
  invalidFilter: (message: string) => new DataPlaneError(400, CODES.badRequest, message, 'filter'),
  unauthorized: (message: string) => new AuthenticationError(message),
  forbidden: (message: string) => new AuthorizationError(message),
  notFound: (message: string) => new DataPlaneError(404, CODES.notFound, message),
  noOperation: (method: string, path: string) => new DataPlaneError(404, CODES.notFound, `No operation at ${method} ${path}.`),
  methodNotAllowed: (method: string, path: string) => new DataPlaneError(405, CODES.methodNotAllowed, `${method} is not allowed on ${path}.`),
  conflict: (message: string) => new DataPlaneError(409, CODES.conflict, message),
  unsupportedMediaType: (message: string) => new DataPlaneError(415, CODES.unsupportedMediaType, message),
  connectionLimit: (max: number, resource: string) =>
    new DataPlaneError(429, CODES.connectionLimitReached, `The connection limit of ${max} for resource '${resource}' has been reached.`),
  tooManyPendingUpgrades: (max: number, resource: string) =>
    new DataPlaneError(429, CODES.tooManyPendingConnections, `Too many connections of resource '${resource}' are waiting for their handshake (at most ${max}); retry later.`),
  /** The connect event handler refused with a 4xx: its status and reason go to the client. */
  connectRejected: (status: number, message: string) => new DataPlaneError(status, status === 401 ? CODES.unauthorized : status === 403 ? CODES.forbidden : CODES.connectRejected, message),
  /** The connect event handler failed (5xx, unreachable, invalid answer). */
  connectHandlerFailed: (message: string) => new DataPlaneError(500, CODES.internal, message),
  internal: (message = 'An internal error occurred.') => new DataPlaneError(500, CODES.internal, message),
  /** A reliable session's recovery could not be decided now (its node did not answer, or the session store is unreachable): the client retries. */
  sessionUnavailable: (message: string) => new DataPlaneError(503, CODES.sessionUnavailable, message),
};

/** Kept for the many call sites that only need these two. */
export const badRequest = dataPlaneErrors.badRequest;
export const notFound = dataPlaneErrors.notFound;

/** Error names of failed acks in the JSON subprotocols (reference §4.4): the service's wire names. */
export const ACK_ERROR_NAMES = {
  badRequest: 'BadRequest',
  forbidden: 'Forbidden',
  duplicate: 'Duplicate',
  invocationFailed: 'InvocationFailed',
} as const;

export type AckErrorName = (typeof ACK_ERROR_NAMES)[keyof typeof ACK_ERROR_NAMES];

/** A failed ack: `name` goes on the wire as `error.name`. */
export class AckFailure extends Error {
  override readonly name: AckErrorName;
  constructor(name: AckErrorName, message: string) {
    super(message);
    this.name = name;
  }
}

export const ackErrors = {
  badRequest: (message: string) => new AckFailure(ACK_ERROR_NAMES.badRequest, message),
  forbidden: (message: string) => new AckFailure(ACK_ERROR_NAMES.forbidden, message),
  duplicate: (ackId: number) => new AckFailure(ACK_ERROR_NAMES.duplicate, `Message with ack-id: ${ackId} has been processed`),
  invocationFailed: (message: string) => new AckFailure(ACK_ERROR_NAMES.invocationFailed, message),
};

/** Every HTTP status text the handshake can answer with. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};
