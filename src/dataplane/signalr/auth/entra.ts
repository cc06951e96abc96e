/**
 * Microsoft Entra bearer tokens on the SignalR data plane (reference §1.6): an access token for
 * `https://signalr.azure.com` (with or without the trailing slash) from the resource's tenant,
 * verified by Web PubSub's Entra authenticator (reused, with SignalR's audiences); the route's
 * `Microsoft.SignalRService/SignalR/...` DataAction is then checked with Azure RBAC at the
 * resource's scope. Refused as a whole when the resource has `disableAadAuth`.
 */
import { EntraAuthenticator } from '../../webpubsub/auth/entra.ts';
import type { BearerVerifier, DataActionCheck, DenialRecorder } from '../../webpubsub/auth/entra.ts';
import type { DataPlaneAuth, DataPlaneAuthenticator } from '../../webpubsub/auth/types.ts';
import { bearerToken } from '../../webpubsub/auth/types.ts';
import { AuthenticationError } from '../../webpubsub/errors.ts';
import { isHmacToken } from './access-key.ts';
import type { SignalRRequest } from './types.ts';

export const SIGNALR_AUDIENCES = ['https://signalr.azure.com', 'https://signalr.azure.com/'];

export interface SignalREntraOptions {
  verifier: BearerVerifier;
  check: DataActionCheck;
  /** The resource's tenant: tokens from any other tenant are refused. */
  tenantId: string;
  isAadAuthDisabled(): boolean;
  /** Where refusals are recorded ("why was this denied"). */
  denials?: DenialRecorder;
  resourceName?: string;
}

export class SignalREntraAuthenticator implements DataPlaneAuthenticator {
  readonly kind = 'entra';
  readonly #inner: EntraAuthenticator;
  readonly #opts: SignalREntraOptions;

  constructor(opts: SignalREntraOptions) {
    this.#opts = opts;
    this.#inner = new EntraAuthenticator({ verifier: opts.verifier, check: opts.check, tenantId: opts.tenantId, audiences: SIGNALR_AUDIENCES, denials: opts.denials, surface: 'signalr', resourceName: opts.resourceName });
  }

  async authenticate(request: SignalRRequest): Promise<DataPlaneAuth | null> {
    const token = bearerToken(request.headers);
    // HMAC tokens are the access-key scheme: leave them to that authenticator.
    if (!token || isHmacToken(token)) return null;
    if (this.#opts.isAadAuthDisabled()) {
      throw new AuthenticationError('Microsoft Entra authentication is disabled for this resource (disableAadAuth). Use an access key.');
    }
    return this.#inner.authenticate(request);
  }

  authorize(auth: DataPlaneAuth, dataAction: string, request: SignalRRequest): void {
    const scope = request.resourceId;
    if (!this.#opts.check(auth.principal, dataAction, scope).allowed) {
      throw this.#inner.deny(`The principal '${auth.principal}' does not have permission '${dataAction}' at scope '${scope}'. Assign a role that grants it (e.g. SignalR REST API Owner, or SignalR App Server for temporary access keys) at this scope or above.`, auth, dataAction, scope, request);
    }
  }
}
