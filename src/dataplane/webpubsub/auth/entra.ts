/**
 * Microsoft Entra bearer tokens on the data plane: an RS256 access token from Lapis's identity
 * service for `https://webpubsub.azure.com` (the scope the SDK asks for), issued by the resource's
 * tenant; the route's DataAction is then checked with Azure RBAC at the hub's scope.
 */
import { decodeJwt } from 'jose';
import { claimedPrincipal, tokenFailureOf, type DenialInput, type DenialReceipt, type DenialSurface } from '../../../access/index.ts';
import { AuthenticationError, AuthorizationError } from '../errors.ts';
import type { DataPlaneAuth, DataPlaneAuthenticator, DataPlaneRequest } from './types.ts';
import { bearerOf, bearerToken } from './types.ts';

export const WEBPUBSUB_AUDIENCES = ['https://webpubsub.azure.com', 'https://webpubsub.azure.com/'];

/** What this authenticator needs from the identity service (`TokenVerifier` fits). */
export interface BearerVerifier {
  verify(token: string, opts: { audiences: string[]; tenantId?: string }): Promise<{ principalId: string; tenantId: string; payload: Record<string, unknown> }>;
}

/** What it needs from access control: may this principal perform this DataAction at this scope? */
export type DataActionCheck = (principalId: string, dataAction: string, scope: string) => { allowed: boolean };

export interface EntraAuthenticatorOptions {
  verifier: BearerVerifier;
  check: DataActionCheck;
  /** The resource's tenant: tokens from any other tenant are refused. */
  tenantId: string;
  audiences?: string[];
  /** Where refusals are recorded ("why was this denied"); without it they are not. */
  denials?: DenialRecorder;
  /** Which surface this authenticator guards, in denial records. Default `webpubsub`. */
  surface?: DenialSurface;
  /** The resource's name, in denial records. */
  resourceName?: string;
}

/** What this authenticator needs from the denial log (`AccessControl.denials` fits). */
export interface DenialRecorder {
  record(input: DenialInput): DenialReceipt;
}

export class EntraAuthenticator implements DataPlaneAuthenticator {
  readonly kind = 'entra';
  readonly #opts: EntraAuthenticatorOptions;

  constructor(opts: EntraAuthenticatorOptions) {
    this.#opts = opts;
  }

  /** Synchronous when the token is not ours (the access-key tokens of every REST call): no promise to wait for. */
  authenticate(request: DataPlaneRequest): DataPlaneAuth | null | Promise<DataPlaneAuth> {
    const { token, header } = bearerOf(request);
    if (!token) return null;
    if (!header) throw this.#denied(new AuthenticationError('The bearer token is not a JWT.'), request, { failure: 'malformed' });
    // HS256 is the access-key scheme: leave it to that authenticator. Anything else is ours.
    if (header.alg === 'HS256') return null;
    return this.#verify(token, request);
  }

  async #verify(token: string, request: DataPlaneRequest): Promise<DataPlaneAuth> {
    try {
      const v = await this.#opts.verifier.verify(token, { audiences: this.#opts.audiences ?? WEBPUBSUB_AUDIENCES, tenantId: this.#opts.tenantId });
      return { kind: this.kind, principal: v.principalId, claims: v.payload };
    } catch (err) {
      const e = new AuthenticationError(`The Microsoft Entra token was refused: ${(err as Error).message}`);
      throw this.#denied(e, request, { failure: tokenFailureOf(err) });
    }
  }

  /**
   * Records a refusal when a denial log is wired, and puts its link in the message and its id on
   * the error (the responders send it as a header). 401s keep the refused token's claims
   * decoded without trust; 403s the verified ones and the missing DataAction.
   */
  #denied<E extends AuthenticationError | AuthorizationError>(e: E, request: DataPlaneRequest, more: Partial<DenialInput> & { claims?: Record<string, unknown> }): E {
    const log = this.#opts.denials;
    if (!log) return e;
    let claims = more.claims;
    if (!claims && e.status === 401) {
      try {
        claims = decodeJwt(bearerToken(request.headers) ?? '') as Record<string, unknown>;
      } catch { /* not a JWT: no claims to show */ }
    }
    const receipt = log.record({
      status: e.status as 401 | 403, code: e.code, surface: this.#opts.surface ?? 'webpubsub', resource: this.#opts.resourceName,
      method: request.method, url: request.url, principalId: more.principalId ?? claimedPrincipal(claims), claims,
      scope: more.scope ?? request.resourceId, message: e.message,
      ...more.kind ? { kind: more.kind, operation: more.operation } : {},
      ...more.failure ? { failure: more.failure } : {},
    });
    e.message = `${e.message} ${receipt.sentence}`;
    e.denialId = receipt.id;
    return e;
  }

  /** A 403 for a missing DataAction, recorded when a denial log is wired (SignalR's authenticator uses it too). */
  deny(message: string, auth: DataPlaneAuth, dataAction: string, scope: string, request: DataPlaneRequest): AuthorizationError {
    return this.#denied(new AuthorizationError(message), request, { principalId: auth.principal, claims: auth.claims, kind: 'dataAction', operation: dataAction, scope });
  }

  authorize(auth: DataPlaneAuth, dataAction: string, request: DataPlaneRequest): void {
    const scope = request.hub ? `${request.resourceId}/hubs/${request.hub}` : request.resourceId;
    if (!this.#opts.check(auth.principal, dataAction, scope).allowed) {
      throw this.deny(`The principal '${auth.principal}' does not have permission '${dataAction}' at scope '${scope}'. Assign a role that grants it (e.g. Web PubSub Service Owner) at this scope or above.`, auth, dataAction, scope, request);
    }
  }
}
