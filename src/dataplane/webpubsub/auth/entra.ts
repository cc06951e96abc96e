/**
 * Microsoft Entra bearer tokens on the data plane: an RS256 access token from Lapis's identity
 * service for `https://webpubsub.azure.com` (the scope the SDK asks for), issued by the resource's
 * tenant; the route's DataAction is then checked with Azure RBAC at the hub's scope.
 */
import { decodeProtectedHeader } from 'jose';
import { AuthenticationError, AuthorizationError } from '../errors.ts';
import type { DataPlaneAuth, DataPlaneAuthenticator, DataPlaneRequest } from './types.ts';
import { bearerToken } from './types.ts';

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
}

export class EntraAuthenticator implements DataPlaneAuthenticator {
  readonly kind = 'entra';
  readonly #opts: EntraAuthenticatorOptions;

  constructor(opts: EntraAuthenticatorOptions) {
    this.#opts = opts;
  }

  async authenticate(request: DataPlaneRequest): Promise<DataPlaneAuth | null> {
    const token = bearerToken(request.headers);
    if (!token) return null;
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthenticationError('The bearer token is not a JWT.');
    }
    // HS256 is the access-key scheme: leave it to that authenticator. Anything else is ours.
    if (alg === 'HS256') return null;
    try {
      const v = await this.#opts.verifier.verify(token, { audiences: this.#opts.audiences ?? WEBPUBSUB_AUDIENCES, tenantId: this.#opts.tenantId });
      return { kind: this.kind, principal: v.principalId, claims: v.payload };
    } catch (err) {
      throw new AuthenticationError(`The Microsoft Entra token was refused: ${(err as Error).message}`);
    }
  }

  authorize(auth: DataPlaneAuth, dataAction: string, request: DataPlaneRequest): void {
    const scope = request.hub ? `${request.resourceId}/hubs/${request.hub}` : request.resourceId;
    if (!this.#opts.check(auth.principal, dataAction, scope).allowed) {
      throw new AuthorizationError(`The principal '${auth.principal}' does not have permission '${dataAction}' at scope '${scope}'. Assign a role that grants it (e.g. Web PubSub Service Owner) at this scope or above.`);
    }
  }
}
