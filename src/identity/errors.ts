import { randomUUID } from 'node:crypto';

/**
 * Entra-shaped OAuth errors. The SDK (msal-common) builds its message from `error`,
 * `error_codes`, `timestamp`, `error_description`, `correlation_id` and `trace_id`, so all
 * are always present; the description starts with the AADSTS code as Entra's does.
 */
export class EntraError extends Error {
  readonly status: number;
  readonly error: string;
  readonly aadsts: number;
  /** Seconds a locked-out caller should wait (sent as `Retry-After`). */
  readonly retryAfter?: number;
  constructor(status: number, error: string, aadsts: number, description: string, retryAfter?: number) {
    super(`AADSTS${aadsts}: ${description}`);
    this.name = 'EntraError';
    this.status = status;
    this.error = error;
    this.aadsts = aadsts;
    this.retryAfter = retryAfter;
  }

  body(correlationId?: string): Record<string, unknown> {
    const traceId = randomUUID();
    const correlation = correlationId && /^[\w-]{1,64}$/.test(correlationId) ? correlationId : randomUUID();
    const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    return {
      error: this.error,
      error_description: `${this.message} Trace ID: ${traceId} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
      error_codes: [this.aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlation,
      error_uri: `https://login.microsoftonline.com/error?code=${this.aadsts}`,
    };
  }
}

/** The errors the token service answers with, by situation. */
export const E = {
  malformed: (why: string) => new EntraError(400, 'invalid_request', 9002313, `Invalid request. Request is malformed or invalid. ${why}`),
  postOnly: (method: string) => new EntraError(400, 'invalid_request', 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${method.slice(0, 10)} request.`),
  missingParam: (name: string) => new EntraError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrant: (grant: string) => new EntraError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`),
  tenantNotFound: (tenant: string) => new EntraError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`),
  tenantRequired: (tenant: string) => new EntraError(400, 'invalid_request', 90009, `Application is requesting a token for itself. The '${tenant}' endpoint cannot be used with the client credentials grant; use a tenant id or domain.`),
  appNotFound: (appId: string, tenant: string) => new EntraError(400, 'unauthorized_client', 700016, `Application with identifier '${appId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`),
  wrongSecret: (appId: string) => new EntraError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`),
  expiredSecret: (appId: string) => new EntraError(401, 'invalid_client', 7000222, `The provided client secret keys for app '${appId}' are expired. Create new keys for the app, or consider using certificate credentials for added security.`),
  noCredential: () => new EntraError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  badAssertion: (why: string) => new EntraError(401, 'invalid_client', 700027, `Client assertion failed signature validation. ${why}`),
  assertionTime: (why: string) => new EntraError(401, 'invalid_client', 700024, `Client assertion is not within its valid time range. ${why}`),
  assertionClaims: (why: string) => new EntraError(401, 'invalid_client', 50013, `Assertion failed validation. ${why}`),
  assertionType: () => new EntraError(400, 'invalid_request', 9002313, "Invalid request. 'client_assertion_type' must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'."),
  badScopeSuffix: (scope: string) => new EntraError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`),
  badScope: (scope: string) => new EntraError(400, 'invalid_scope', 70011, `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' ('${scope}') is not valid: it must name exactly one resource.`),
  resourceNotFound: (resource: string, tenant: string) => new EntraError(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`),
  wrongPassword: () => new EntraError(400, 'invalid_grant', 50126, 'Error validating credentials due to invalid username or password.'),
  userLockedOut: (seconds: number) => new EntraError(400, 'invalid_grant', 50053, `The account is locked, you've tried to sign in too many times with an incorrect user ID or password. Try again in ${seconds} seconds.`, seconds),
  clientLockedOut: (appId: string, seconds: number) => new EntraError(401, 'invalid_client', 50053, `The application '${appId}' is locked, it has tried to sign in too many times with an incorrect credential. Try again in ${seconds} seconds.`, seconds),
  endpointNotFound: (path: string) => new EntraError(404, 'invalid_request', 9002313, `Invalid request. Request is malformed or invalid. No identity endpoint exists at '${path.slice(0, 200)}'.`),
  methodNotAllowed: (method: string, allowed: string) => new EntraError(405, 'invalid_request', 900561, `The endpoint only accepts ${allowed} requests. Received a ${method.slice(0, 10)} request.`),
  serverError: () => new EntraError(500, 'server_error', 90033, 'A transient error has occurred. Please try again.'),
  // ---- interactive sign-in (authorize, codes, refresh tokens, device codes) ----
  redirectMismatch: (uri: string, appId: string) => new EntraError(400, 'invalid_request', 50011, `The redirect URI '${uri.slice(0, 300)}' specified in the request does not match the redirect URIs configured for the application '${appId}'. Make sure the redirect URI sent in the request matches one added to your application.`),
  replyMismatch: () => new EntraError(400, 'invalid_grant', 500112, 'The reply address sent with the token request does not match the reply address provided when requesting the authorization code.'),
  unsupportedResponseType: (type: string) => new EntraError(400, 'unsupported_response_type', 700054, `response_type '${type.slice(0, 64)}' is not supported; Lapis supports response_type 'code' (with PKCE).`),
  pkceRequired: () => new EntraError(400, 'invalid_request', 9002325, 'Proof Key for Code Exchange is required: a public client must send code_challenge with code_challenge_method S256.'),
  pkcePlain: () => new EntraError(400, 'invalid_request', 9002325, "code_challenge_method must be 'S256'; the 'plain' method is refused."),
  pkceMismatch: () => new EntraError(400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'),
  codeRedeemed: () => new EntraError(400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.'),
  codeExpired: () => new EntraError(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.'),
  badGrant: (what: string) => new EntraError(400, 'invalid_grant', 70000, `The provided value for the '${what}' parameter is not valid.`),
  passwordChanged: () => new EntraError(400, 'invalid_grant', 50173, 'The provided grant has expired due to it being revoked: the user\'s password was changed after this sign-in. The user must sign in again.'),
  refreshRevoked: () => new EntraError(400, 'invalid_grant', 50173, 'The provided grant has been revoked: a refresh token was presented again after it had been exchanged, so every refresh token of that sign-in is revoked. The user must sign in again.'),
  refreshExpired: () => new EntraError(400, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity. The user must sign in again.'),
  loginRequired: () => new EntraError(400, 'login_required', 50058, 'A silent sign-in request was sent but no user is signed in.'),
  interactionRequired: () => new EntraError(400, 'interaction_required', 16000, 'The signed-in user is not the one named by login_hint, or is not in this application\'s tenant; an interactive sign-in is required.'),
  authorizationPending: () => new EntraError(400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.'),
  slowDown: (interval: number) => new EntraError(400, 'slow_down', 70016, `OAuth 2.0 device flow error. Polling too often: wait at least ${interval} seconds between requests.`),
  deviceCodeExpired: () => new EntraError(400, 'expired_token', 70019, 'Verification code expired. Start a new device code request.'),
  deviceDeclined: () => new EntraError(400, 'authorization_declined', 65004, 'The user declined the sign-in on the device login page.'),
  badDeviceCode: () => new EntraError(400, 'bad_verification_code', 70000, "The provided value for the 'device_code' parameter is not valid."),
  csrf: () => new EntraError(400, 'invalid_request', 90023, "The sign-in form's anti-forgery token is missing or does not match its cookie. Reload the page and try again (cookies must be enabled)."),
  notPublicClient: () => new EntraError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'. (The application is not a public client: set isFallbackPublicClient to let users sign in with a password.)"),
} as const;

/**
 * Why a bearer token Lapis verified was refused. Each surface answers with its own shape (ARM's
 * `InvalidAuthenticationToken*`, Graph's `InvalidAuthenticationToken`, the data plane's 401 with
 * `WWW-Authenticate`); `code` is stable for them and for tests.
 */
export class TokenRejected extends Error {
  readonly code: 'missing' | 'malformed' | 'signature' | 'algorithm' | 'expired' | 'not_yet_valid' | 'issuer' | 'audience' | 'tenant';
  constructor(code: TokenRejected['code'], message: string) {
    super(message);
    this.name = 'TokenRejected';
    this.code = code;
  }
}


/** A certificate given for an application's key credentials is unusable (Graph answers 400). */
export class CertificateError extends Error {
  readonly code = 'LAPIS_BAD_CERTIFICATE';
  constructor(message: string) {
    super(message);
    this.name = 'CertificateError';
  }
}

/**
 * The managed-identity endpoints' errors (plain HTTP listener), in App Service's and IMDS's shape
 * `{ error, error_description }`. Failures of a token request are 400, never 404: the SDK retries
 * 404 and 410 five times. 404/405 are only for paths and methods that do not exist.
 */
export class ManagedIdentityError extends Error {
  readonly status: number;
  readonly error: string;
  constructor(status: number, error: string, description: string) {
    super(description);
    this.name = 'ManagedIdentityError';
    this.status = status;
    this.error = error;
  }

  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

export const MI = {
  identityHeader: () => new ManagedIdentityError(401, 'invalid_request', 'The X-IDENTITY-HEADER header is missing or wrong.'),
  metadataHeader: () => new ManagedIdentityError(400, 'invalid_request', 'Required metadata header not specified'),
  forwarded: () => new ManagedIdentityError(400, 'invalid_request', 'Requests with an X-Forwarded-For header are not accepted'),
  notLoopback: () => new ManagedIdentityError(403, 'invalid_request', 'The IMDS endpoint answers only this machine.'),
  missingQuery: (name: string) => new ManagedIdentityError(400, 'invalid_request', `Required query variable '${name}' is missing`),
  badSelector: (why: string) => new ManagedIdentityError(400, 'invalid_request', why),
  refused: (err: EntraError) => new ManagedIdentityError(400, err.error, err.message),
  malformed: (why: string) => new ManagedIdentityError(400, 'invalid_request', `The request is malformed: ${why.slice(0, 200)}`),
  serverError: () => new ManagedIdentityError(500, 'server_error', 'An unexpected error occurred; it was logged.'),
  notFound: (path: string) => new ManagedIdentityError(404, 'not_found', `No endpoint exists at '${path.slice(0, 200)}'.`),
  methodNotAllowed: (path: string, method: string) => new ManagedIdentityError(405, 'method_not_allowed', `The endpoint '${path.slice(0, 100)}' only accepts GET requests. Received a ${method.slice(0, 10)} request.`),
} as const;
