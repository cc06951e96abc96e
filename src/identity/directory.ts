import { randomUUID } from 'node:crypto';
import { isGuid } from '../ids/index.ts';
import type { Store } from '../store/index.ts';
import type { Application, KeyCredential, ManagedIdentity, PasswordCredential, ServicePrincipal, Tenant, User } from './model.ts';
import { generateSecret, hashSecret, secretHint, verifySecret } from './secrets.ts';
import { parseCertificate } from './certificates.ts';
import { DIRECTORY_KINDS, DirectoryView } from './directory-view.ts';
import { KIND } from './model.ts';
import { RecordFollower, type FollowerErrorLog } from './record-follower.ts';
import * as apps from './directory-apps.ts';
import * as principals from './directory-principals.ts';
import { checkPasswordCredentials, type SecretCheck } from './client-secret-check.ts';

export { isGuid } from '../ids/index.ts';
export type { DeclaredApplication, DeclaredCertificate, DeclaredPassword } from './directory-apps.ts';

// The client secret rule lives in client-secret-check.ts; its type is re-exported for importers of this file.
export type { SecretCheck } from './client-secret-check.ts';

/**
 * Tenants, applications with their service principals, users and managed identities. Lookups are
 * answered from memory (indexed for the token endpoint); the memory follows the store's change
 * feed, so a change made through any node that shares the store is seen here too. Writes go to
 * the store first, in ways two nodes cannot both win (directory-apps.ts, directory-principals.ts).
 */
export class Directory {
  readonly #view = new DirectoryView();
  readonly #follower: RecordFollower;
  readonly #ctx: apps.DirectoryContext;

  constructor(store: Store, onError?: FollowerErrorLog) {
    this.#follower = new RecordFollower({
      store, kinds: DIRECTORY_KINDS, onError,
      apply: (kind, id, doc) => this.#view.apply(kind, id, doc),
      reloadAll: () => this.#view.reload(store),
    });
    this.#ctx = { store, view: this.#view, refresh: (kind, id) => this.#follower.refresh(kind, id) };
  }

  /** Loads the directory and starts following the change feed. */
  async load(): Promise<void> {
    await this.#follower.start();
  }

  /** Stops following the change feed. */
  stop(): void {
    this.#follower.stop();
  }

  // ---- directory roles -------------------------------------------------------------------------

  /** Whether a principal may manage the directory (Graph API); Entra's Global Administrator. */
  isDirectoryAdmin(principalId: string): boolean {
    return this.#view.admins.has(principalId.toLowerCase());
  }

  grantDirectoryAdmin(principalId: string): Promise<void> {
    return principals.grantDirectoryAdmin(this.#ctx, principalId);
  }

  // ---- tenants -------------------------------------------------------------------------------

  get defaultTenant(): Tenant {
    for (const t of this.#view.tenants.values()) if (t.isDefault) return t;
    throw new Error('no default tenant: the directory was not initialised');
  }

  tenants(): Tenant[] {
    return [...this.#view.tenants.values()];
  }

  getTenant(id: string): Tenant | undefined {
    return this.#view.tenants.get(id.toLowerCase());
  }

  upsertTenant(t: { id: string; displayName?: string; domains?: string[]; isDefault: boolean }): Promise<Tenant> {
    return principals.upsertTenant(this.#ctx, t);
  }

  /**
   * Maps the `{tenant}` path segment to a tenant: a GUID or a verified domain, in any casing.
   * `common` / `organizations` are returned as such (callers decide where Entra allows them);
   * `adfs` means the default tenant. Anything else is undefined.
   */
  resolveTenant(segment: string): Tenant | 'common' | 'organizations' | undefined {
    const s = segment.toLowerCase();
    if (s === 'common' || s === 'organizations') return s;
    if (s === 'adfs') return this.defaultTenant;
    if (isGuid(s)) return this.#view.tenants.get(s);
    for (const t of this.#view.tenants.values()) if (t.domains.includes(s)) return t;
    return undefined;
  }

  // ---- applications ----------------------------------------------------------------------------

  applications(tenantId?: string): Application[] {
    return [...this.#view.apps.values()].filter((a) => !tenantId || a.tenantId === tenantId);
  }

  getApplication(tenantId: string, appId: string): Application | undefined {
    const app = this.#view.apps.get(appId.toLowerCase());
    return app && app.tenantId === tenantId ? app : undefined;
  }

  findApplication(ref: string): Application | undefined {
    const r = ref.toLowerCase();
    return this.#view.apps.get(r) ?? [...this.#view.apps.values()].find((a) => a.id === r || a.displayName.toLowerCase() === r);
  }

  servicePrincipal(appId: string): ServicePrincipal | undefined {
    return this.#view.sps.get(appId.toLowerCase());
  }

  servicePrincipals(tenantId?: string): ServicePrincipal[] {
    return [...this.#view.sps.values()].filter((s) => !tenantId || s.tenantId === tenantId);
  }

  /** A resource app in the tenant, by Application ID URI (any casing) or appId. */
  findResourceApplication(tenantId: string, identifier: string): Application | undefined {
    const id = identifier.toLowerCase().replace(/\/+$/, '');
    for (const a of this.#view.apps.values()) {
      if (a.tenantId !== tenantId) continue;
      if (a.appId === id || a.identifierUris.some((u) => u.toLowerCase().replace(/\/+$/, '') === id)) return a;
    }
    return undefined;
  }

  /**
   * Creates or updates an application to match a declaration (matched by appId, else by display
   * name). Declared credentials are matched by keyId; ones added at run time are kept.
   */
  upsertApplication(tenantId: string, d: apps.DeclaredApplication): Promise<Application> {
    return apps.upsertApplication(this.#ctx, tenantId, d);
  }

  /** Graph's addPassword: generates the secret, stores its hash, returns the text once. */
  async addPassword(appId: string, opts: { displayName?: string; endDateTime?: string } = {}): Promise<{ credential: PasswordCredential; secretText: string }> {
    const app = this.#requireApp(appId);
    const secretText = generateSecret();
    const credential: PasswordCredential = {
      keyId: randomUUID(), displayName: opts.displayName, hint: secretHint(secretText),
      secretHash: await hashSecret(secretText, true), startDateTime: new Date().toISOString(), endDateTime: opts.endDateTime,
    };
    await apps.changeApplication(this.#ctx, app.appId, (a) => ({ ...a, passwordCredentials: [...a.passwordCredentials, credential] }));
    return { credential, secretText };
  }

  /** Replaces an application's properties (Graph PATCH); credentials have their own calls. */
  async updateApplication(appId: string, patch: { displayName?: string; identifierUris?: string[]; isFallbackPublicClient?: boolean; requestedAccessTokenVersion?: 1 | 2 | null }): Promise<Application> {
    const app = this.#requireApp(appId);
    const { doc } = await apps.changeApplication(this.#ctx, app.appId, (a) => ({
      ...a,
      ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
      ...(patch.identifierUris !== undefined ? { identifierUris: patch.identifierUris } : {}),
      ...(patch.isFallbackPublicClient !== undefined ? { isFallbackPublicClient: patch.isFallbackPublicClient } : {}),
      ...(patch.requestedAccessTokenVersion !== undefined ? { requestedAccessTokenVersion: patch.requestedAccessTokenVersion } : {}),
    }));
    return doc!;
  }

  /** Deletes an application with its service principal. */
  async deleteApplication(appId: string): Promise<boolean> {
    const app = this.findApplication(appId);
    return app ? apps.deleteApplication(this.#ctx, app) : false;
  }

  async addCertificate(appId: string, pemOrDer: string, displayName?: string): Promise<KeyCredential> {
    const app = this.#requireApp(appId);
    const cred = apps.keyCredential(randomUUID(), displayName, parseCertificate(pemOrDer));
    await apps.changeApplication(this.#ctx, app.appId, (a) => ({ ...a, keyCredentials: [...a.keyCredentials, cred] }));
    return cred;
  }

  /** A certificate credential (not yet stored) for `pemOrDer`; throws CertificateError for a bad one. */
  certificateCredential(keyId: string, displayName: string | undefined, pemOrDer: string): KeyCredential {
    return apps.keyCredential(keyId.toLowerCase(), displayName, parseCertificate(pemOrDer));
  }

  /**
   * Replaces an application's certificates with `next(current)` in one compare-and-swap (Graph's
   * PATCH of keyCredentials: the new list decides, kept entries keep their keyId).
   */
  async setCertificates(appId: string, next: (current: KeyCredential[]) => KeyCredential[]): Promise<Application> {
    const app = this.#requireApp(appId);
    const { doc } = await apps.changeApplication(this.#ctx, app.appId, (a) => ({ ...a, keyCredentials: next(a.keyCredentials) }));
    return doc!;
  }

  async removeCertificate(appId: string, keyId: string): Promise<boolean> {
    const app = this.#requireApp(appId);
    const id = keyId.toLowerCase();
    const { wrote } = await apps.changeApplication(this.#ctx, app.appId, (a) => {
      const kept = a.keyCredentials.filter((k) => k.keyId !== id);
      return kept.length === a.keyCredentials.length ? undefined : { ...a, keyCredentials: kept };
    });
    return wrote;
  }

  async removePassword(appId: string, keyId: string): Promise<boolean> {
    const app = this.#requireApp(appId);
    const id = keyId.toLowerCase();
    const { wrote } = await apps.changeApplication(this.#ctx, app.appId, (a) => {
      const kept = a.passwordCredentials.filter((p) => p.keyId !== id);
      return kept.length === a.passwordCredentials.length ? undefined : { ...a, passwordCredentials: kept };
    });
    return wrote;
  }

  /** Checks a presented secret against every secret of the app; expiry matters only on a match. */
  async checkClientSecret(app: Application, secret: string, now = Date.now()): Promise<SecretCheck> {
    const check = await checkPasswordCredentials(app, secret, now);
    if (check === 'ok') return check;
    // Memory follows the store a few milliseconds behind another node's write: a secret added
    // there and used here at once must not be refused, so a miss is checked against the store.
    await this.#follower.refresh(KIND.application, app.appId);
    const fresh = this.#view.apps.get(app.appId);
    return fresh && fresh !== app ? checkPasswordCredentials(fresh, secret, now) : check;
  }

  /** The registered certificate named by a client assertion's `x5t#S256` or `x5t`. */
  findCertificate(app: Application, thumbprint: { x5tS256?: string; x5t?: string }): KeyCredential | undefined {
    return app.keyCredentials.find((k) => (thumbprint.x5tS256 && k.x5tS256 === thumbprint.x5tS256) || (thumbprint.x5t && k.x5t === thumbprint.x5t));
  }

  #requireApp(appId: string): Application {
    const app = this.findApplication(appId);
    if (!app) throw new Error(`no application ${appId}`);
    return app;
  }

  // ---- users -----------------------------------------------------------------------------------

  getUser(userPrincipalName: string): User | undefined {
    return this.#view.users.get(userPrincipalName.toLowerCase());
  }

  getUserById(id: string): User | undefined {
    const lower = id.toLowerCase();
    for (const u of this.#view.users.values()) if (u.id === lower) return u;
    return undefined;
  }

  /** Creates a user unless its UPN is taken; returns whether it did. */
  createUserIfAbsent(tenantId: string, d: { userPrincipalName: string; displayName: string; id: string; password: string }): Promise<boolean> {
    return principals.createUserIfAbsent(this.#ctx, tenantId, d);
  }

  users(tenantId?: string): User[] {
    return [...this.#view.users.values()].filter((u) => !tenantId || u.tenantId === tenantId);
  }

  upsertUser(tenantId: string, d: { userPrincipalName: string; displayName?: string; id?: string; password: string }): Promise<User> {
    return principals.upsertUser(this.#ctx, tenantId, d);
  }

  /** Changes a user's display name and/or password (Graph's PATCH /users/{id}); undefined if no such user. */
  updateUser(userPrincipalName: string, patch: { displayName?: string; password?: string }): Promise<User | undefined> {
    return principals.updateUser(this.#ctx, userPrincipalName, patch);
  }

  async checkPassword(user: User, password: string): Promise<boolean> {
    return verifySecret(password, user.passwordHash);
  }

  // ---- managed identities ----------------------------------------------------------------------

  managedIdentities(): ManagedIdentity[] {
    return [...this.#view.mis.values()];
  }

  getManagedIdentityOf(resourceId: string): ManagedIdentity | undefined {
    return this.#view.mis.get(resourceId.toLowerCase());
  }

  /** Selects by client id, object (principal) id or ARM resource id, as the MI endpoints do. */
  findManagedIdentity(sel: { clientId?: string; objectId?: string; resourceId?: string }): ManagedIdentity | undefined {
    if (sel.resourceId) return this.#view.mis.get(sel.resourceId.toLowerCase());
    const c = sel.clientId?.toLowerCase();
    const o = sel.objectId?.toLowerCase();
    for (const m of this.#view.mis.values()) if ((c && m.clientId === c) || (o && m.principalId === o)) return m;
    return undefined;
  }

  /**
   * Creates (or keeps) a managed identity and its service principal. A system-assigned identity's
   * resource id is its resource's; a user-assigned one has its own.
   */
  ensureManagedIdentity(d: { type: ManagedIdentity['type']; resourceId: string; name: string; tenantId: string; clientId?: string; principalId?: string; location?: string; tags?: Record<string, string> }): Promise<ManagedIdentity> {
    return principals.ensureManagedIdentity(this.#ctx, d);
  }

  /** Deletes a managed identity with its service principal (a resource losing its system identity). */
  deleteManagedIdentity(resourceId: string): Promise<boolean> {
    return principals.deleteManagedIdentity(this.#ctx, resourceId);
  }
}
