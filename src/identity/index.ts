import type { FastifyInstance } from 'fastify';
import type { Sealer, Store } from '../store/index.ts';
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
import { InteractiveStore } from './interactive-store.ts';
import { InteractiveGrants } from './interactive-grants.ts';
import { SessionStore } from './signin-session.ts';
import { signInRoutes } from './signin-routes.ts';

export { Directory, isGuid } from './directory.ts';
export type { DeclaredApplication } from './directory.ts';
export type { Tenant, Application, ServicePrincipal, User, ManagedIdentity, PasswordCredential, KeyCredential } from './model.ts';
export { EntraError, TokenRejected, CertificateError } from './errors.ts';
export { FIRST_PARTY_RESOURCES } from './resources.ts';
export { issuerV1, issuerV2, type TokenIssuer } from './tokens.ts';
export { TokenVerifier, type VerifiedToken } from './verify.ts';
export { DEFAULT_LOCKOUT, type LockoutPolicy } from './lockout.ts';
export { parseCertificate } from './certificates.ts';

/** Re-check key rotation, and sweep expired replay and lockout entries, this often while running. */
const MAINTENANCE_MS = 3600_000;

export interface IdentityOptions {
  store: Store;
  /** Seals token-signing private keys at rest (the node's master key); without it they are stored plain (tests). */
  sealer?: Sealer;
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
  readonly #lockout: SmartLockout;
  readonly #sessions: SessionStore;
  readonly #interactive: InteractiveStore;
  /** Codes, refresh tokens and device codes (exposed for tests, which move its clock). */
  get interactiveState(): InteractiveStore {
    return this.#interactive;
  }
  #timer?: NodeJS.Timeout;
  #hostIdentity?: ManagedIdentity;
  readonly #log?: IdentityOptions['log'];

  constructor(opts: IdentityOptions) {
    this.#log = opts.log;
    const logged = (what: string) => (err: unknown) => this.#log?.error({ err }, what);
    this.directory = new Directory(opts.store, (err, what) => logged(`directory: ${what} failed; the next change or resync repairs it`)(err));
    this.keys = new KeyRing(opts.store, opts.rotation, { sealer: opts.sealer, onError: logged('signing keys: reloading after a change failed') });
    this.issuer = new TokenIssuer(this.keys, opts.authorityHost);
    this.#replay = new ReplayCache(opts.store);
    this.#lockout = new SmartLockout(opts.lockout, opts.store);
    this.tokens = new TokenService(this.directory, this.issuer, this.#replay, this.#lockout);
    this.verifier = new TokenVerifier(this.keys, this.directory, opts.authorityHost);
    this.#sessions = new SessionStore(opts.store, (userId) => this.directory.getUserById(userId)?.passwordChangedAt);
    this.#interactive = new InteractiveStore(opts.store);
    this.tokens.interactive = new InteractiveGrants(this.directory, this.issuer, this.#interactive,
      (app, form, audiences, resource) => this.tokens.authenticateClient(app, form, audiences, resource));
  }

  /** Loads everything, follows the store's change feed (other nodes' writes), and starts periodic maintenance. */
  async start(): Promise<void> {
    await this.directory.load();
    this.keys.follow();
    await this.keys.maintain();
    await this.#replay.load();
    await this.#lockout.start(this.#log ? (err) => this.#log?.error({ err }, 'lockout: re-reading a shared counter failed') : undefined);
    this.#timer = setInterval(() => {
      // A store hiccup must not become an unhandled rejection (which would end the process).
      this.keys.maintain().catch((err: unknown) => this.#log?.error({ err }, 'signing key maintenance failed; retrying at the next interval'));
      this.#replay.sweep().catch((err: unknown) => this.#log?.error({ err }, 'sweeping expired client-assertion ids failed; retrying at the next interval'));
      this.#lockout.sweep().catch((err: unknown) => this.#log?.error({ err }, 'sweeping old lockout counters failed; retrying at the next interval'));
      this.#interactive.sweep().catch((err: unknown) => this.#log?.error({ err }, 'sweeping expired codes and refresh tokens failed; retrying at the next interval'));
      this.#sessions.sweep().catch((err: unknown) => this.#log?.error({ err }, 'sweeping expired sign-in sessions failed; retrying at the next interval'));
    }, MAINTENANCE_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.directory.stop();
    this.keys.stop();
    this.#lockout.stop();
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
    // The interactive sign-in endpoints and pages (authorize, device login, logout), in their own scope: they answer with pages.
    void app.register(async (scope) => signInRoutes(scope, {
      directory: this.directory, lockout: this.#lockout, sessions: this.#sessions, state: this.#interactive, authorityHost: this.issuer.authorityHost,
    }));
  }

  /** Managed-identity endpoints (App Service and IMDS shapes). */
  registerManagedIdentityRoutes(app: FastifyInstance, identityHeader: string): void {
    void app.register(async (scope) => msiRoutes(scope, {
      directory: this.directory, issuer: this.issuer, identityHeader, hostIdentity: () => this.hostIdentity,
    }));
  }
}
