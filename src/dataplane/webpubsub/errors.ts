/**
 * Azure-shaped data-plane errors: JSON `{"code","message","target"}` plus `x-ms-error-code`
 * (reference §6). 401 also carries the reason in `WWW-Authenticate` because HEAD answers have no body.
 */
export class DataPlaneError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;

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

export const badRequest = (message: string, target = 'Request'): DataPlaneError =>
  new DataPlaneError(400, 'Error.BadRequest', message, target);

export const notFound = (message: string): DataPlaneError => new DataPlaneError(404, 'Error.NotFound', message);

/** Typed 401 thrown by authenticators (missing, malformed, expired or mis-addressed credentials). */
export class AuthenticationError extends DataPlaneError {
  constructor(message: string) {
    super(401, 'Unauthorized', message);
  }
}

/** Typed 403 thrown by `authorize` hooks (valid identity, no permission). */
export class AuthorizationError extends DataPlaneError {
  constructor(message: string) {
    super(403, 'Forbidden', message);
  }
}
