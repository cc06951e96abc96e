import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/index.ts';
import { Directory } from './directory.ts';
import { KeyRing, type RotationPolicy } from './signing-keys.ts';
import { TokenIssuer } from './tokens.ts';
import { TokenService } from './token-service.ts';
import { ReplayCache } from './replay-cache.ts';
import { SmartLockout, type LockoutPolicy } from './lockout.ts';
import { oauthRoutes } from './oauth-routes.ts';
import { msiRoutes } from './msi-routes.ts';
import type { ManagedIdentity } from './model.ts';
import { TokenVerifier } from './verify.ts';

export { Directory, isGuid } from './directory.ts';
export type { DeclaredApplication } from './directory.ts';
export type { Tenant, Application, ServicePrincipal, User, ManagedIdentity, PasswordCredential, KeyCredential } from './model.ts';
export { EntraError, TokenRejected, CertificateError } from './errors.ts';
export { FIRST_PARTY_RESOURCES } from './resources.ts';
export { issuerV1, issuerV2, type TokenIssuer } from './tokens.ts';
export { TokenVerifier, type VerifiedToken } from './verify.ts';
export { DEFAULT_LOCKOUT, type LockoutPolicy } from './lockout.ts';
export { parseCertificate } from './certificates.ts';

/** Re-check key rotation this often while running. */
const KEY_MAINTENANCE_MS = 3600_000;

export interface IdentityOptions {
  store: Store;
  /** `https://localhost:8443`: the origin of the identity endpoints and of token issuers. */
  authorityHost: string;
  rotation?: RotationPolicy;
  /** Smart lockout of repeated failed sign-ins (defaults: Entra's 10 failures, 60 s, growing). */
  lockout?: Partial<LockoutPolicy>;
  /** Where a failed background key rotation is reported (it is retried at the next interval). */
  log?: { error(obj: object, msg: string): void };
}

/**
 * Lapis's Entra ID: the directory, the signing keys, the token issuer and the HTTP endpoints.
 * `register*` put the endpoints on the listeners of the main origin.
 */
export class IdentityService {
  readonly directory: Directory;
  readonly keys: KeyRing;
  readonly issuer: TokenIssuer;
  readonly tokens: TokenService;
  readonly verifier: TokenVerifier;
  readonly #replay: ReplayCache;
  #timer?: NodeJS.Timeout;
  #hostIdentity?: ManagedIdentity;
  readonly #log?: IdentityOptions['log'];

  constructor(opts: IdentityOptions) {
    this.directory = new Directory(opts.store);
    this.keys = new KeyRing(opts.store, opts.rotation);
    this.issuer = new TokenIssuer(this.keys, opts.authorityHost);
    this.#replay = new ReplayCache(opts.store);
    this.tokens = new TokenService(this.directory, this.issuer, this.#replay, new SmartLockout(opts.lockout));
    this.verifier = new TokenVerifier(this.keys, this.directory, opts.authorityHost);
    this.#log = opts.log;
  }

  async start(): Promise<void> {
    await this.directory.load();
    await this.keys.maintain();
    await this.#replay.load();
    this.#timer = setInterval(() => {
      // A store hiccup must not become an unhandled rejection (which would end the process).
      this.keys.maintain().catch((err: unknown) => this.#log?.error({ err }, 'signing key maintenance failed; retrying at the next interval'));
    }, KEY_MAINTENANCE_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  set hostIdentity(mi: ManagedIdentity) {
    this.#hostIdentity = mi;
  }

  get hostIdentity(): ManagedIdentity {
    if (!this.#hostIdentity) throw new Error('the host identity is not set');
    return this.#hostIdentity;
  }

  /** Token, discovery and JWKS endpoints (HTTPS only: MSAL refuses an http authority). */
  registerAuthorityRoutes(app: FastifyInstance): void {
    void app.register(async (scope) => oauthRoutes(scope, {
      directory: this.directory, keys: this.keys, tokens: this.tokens, authorityHost: this.issuer.authorityHost,
    }));
  }

  /** Managed-identity endpoints (App Service and IMDS shapes). */
  registerManagedIdentityRoutes(app: FastifyInstance, identityHeader: string): void {
    void app.register(async (scope) => msiRoutes(scope, {
      directory: this.directory, issuer: this.issuer, identityHeader, hostIdentity: () => this.hostIdentity,
    }));
  }
}
