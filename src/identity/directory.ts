import { createHash, randomUUID } from 'node:crypto';
import { isGuid, nameBasedGuid } from '../ids/index.ts';
import type { Store } from '../store/index.ts';
import { KIND, type Application, type KeyCredential, type ManagedIdentity, type PasswordCredential, type ServicePrincipal, type Tenant, type User } from './model.ts';
import { generateSecret, hashSecret, secretHint, verifySecret } from './secrets.ts';
import { parseCertificate } from './certificates.ts';

export { isGuid } from '../ids/index.ts';

export interface DeclaredPassword { keyId?: string; displayName?: string; secretText: string; startDateTime?: string; endDateTime?: string }
export interface DeclaredCertificate { keyId?: string; displayName?: string; key: string }
export interface DeclaredApplication {
  displayName: string; appId?: string; id?: string; identifierUris?: string[]; isFallbackPublicClient?: boolean;
  requestedAccessTokenVersion?: 1 | 2 | null; passwordCredentials?: DeclaredPassword[]; keyCredentials?: DeclaredCertificate[];
}

/** The outcome of presenting a client secret: which check failed matters for the error code. */
export type SecretCheck = 'ok' | 'wrong' | 'expired';

/**
 * Tenants, applications with their service principals, users and managed identities. Everything
 * is held in memory (indexed for the token endpoint's lookups) and written through to the store.
 */
export class Directory {
  readonly #store: Store;
  readonly #tenants = new Map<string, Tenant>();
  readonly #apps = new Map<string, Application>();            // by appId (globally unique)
  readonly #sps = new Map<string, ServicePrincipal>();        // by appId
  readonly #users = new Map<string, User>();                  // by lower-case UPN
  readonly #mis = new Map<string, ManagedIdentity>();         // by lower-case resource id
  #admins = new Set<string>();                                 // principal ids with directory admin rights

  constructor(store: Store) {
    this.#store = store;
  }

  async load(): Promise<void> {
    for (const t of await this.#store.list<Tenant>(KIND.tenant)) this.#tenants.set(t.id, t);
    for (const a of await this.#store.list<Application>(KIND.application)) this.#apps.set(a.appId, a);
    for (const s of await this.#store.list<ServicePrincipal>(KIND.servicePrincipal)) this.#sps.set(s.appId, s);
    for (const u of await this.#store.list<User>(KIND.user)) this.#users.set(u.userPrincipalName.toLowerCase(), u);
    for (const m of await this.#store.list<ManagedIdentity>(KIND.managedIdentity)) this.#mis.set(m.resourceId.toLowerCase(), m);
    this.#admins = new Set((await this.#store.get<string[]>(KIND.settings, 'directoryAdmins')) ?? []);
  }

  // ---- directory roles -------------------------------------------------------------------------

  /** Whether a principal may manage the directory (Graph API); Entra's Global Administrator. */
  isDirectoryAdmin(principalId: string): boolean {
    return this.#admins.has(principalId.toLowerCase());
  }

  async grantDirectoryAdmin(principalId: string): Promise<void> {
    if (this.#admins.has(principalId.toLowerCase())) return;
    this.#admins.add(principalId.toLowerCase());
    await this.#store.put(KIND.settings, 'directoryAdmins', [...this.#admins]);
  }

  // ---- tenants -------------------------------------------------------------------------------

  get defaultTenant(): Tenant {
    for (const t of this.#tenants.values()) if (t.isDefault) return t;
    throw new Error('no default tenant: the directory was not initialised');
  }

  tenants(): Tenant[] {
    return [...this.#tenants.values()];
  }

  getTenant(id: string): Tenant | undefined {
    return this.#tenants.get(id.toLowerCase());
  }

  async upsertTenant(t: { id: string; displayName?: string; domains?: string[]; isDefault: boolean }): Promise<Tenant> {
    const id = t.id.toLowerCase();
    const prior = this.#tenants.get(id);
    if (t.isDefault) {
      for (const other of this.#tenants.values()) {
        if (other.isDefault && other.id !== id) await this.#putTenant({ ...other, isDefault: false });
      }
    }
    const domains = t.domains?.length ? t.domains.map((d) => d.toLowerCase()) : prior?.domains ?? [`${id.slice(0, 8)}.onmicrosoft.com`];
    return this.#putTenant({ id, displayName: t.displayName ?? prior?.displayName ?? 'Lapis', domains, isDefault: t.isDefault });
  }

  async #putTenant(t: Tenant): Promise<Tenant> {
    await this.#store.put(KIND.tenant, t.id, t);
    this.#tenants.set(t.id, t);
    return t;
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
    if (isGuid(s)) return this.#tenants.get(s);
    for (const t of this.#tenants.values()) if (t.domains.includes(s)) return t;
    return undefined;
  }

  // ---- applications ----------------------------------------------------------------------------

  applications(tenantId?: string): Application[] {
    return [...this.#apps.values()].filter((a) => !tenantId || a.tenantId === tenantId);
  }

  getApplication(tenantId: string, appId: string): Application | undefined {
    const app = this.#apps.get(appId.toLowerCase());
    return app && app.tenantId === tenantId ? app : undefined;
  }

  findApplication(ref: string): Application | undefined {
    const r = ref.toLowerCase();
    return this.#apps.get(r) ?? [...this.#apps.values()].find((a) => a.id === r || a.displayName.toLowerCase() === r);
  }

  servicePrincipal(appId: string): ServicePrincipal | undefined {
    return this.#sps.get(appId.toLowerCase());
  }

  /** A resource app in the tenant, by Application ID URI (any casing) or appId. */
  findResourceApplication(tenantId: string, identifier: string): Application | undefined {
    const id = identifier.toLowerCase().replace(/\/+$/, '');
    for (const a of this.#apps.values()) {
      if (a.tenantId !== tenantId) continue;
      if (a.appId === id || a.identifierUris.some((u) => u.toLowerCase().replace(/\/+$/, '') === id)) return a;
    }
    return undefined;
  }

  /**
   * Creates or updates an application to match a declaration (matched by appId, else by display
   * name). Declared credentials are matched by keyId; ones added at run time are kept.
   */
  async upsertApplication(tenantId: string, d: DeclaredApplication): Promise<Application> {
    const prior = (d.appId && this.#apps.get(d.appId.toLowerCase()))
      || [...this.#apps.values()].find((a) => a.tenantId === tenantId && a.displayName.toLowerCase() === d.displayName.toLowerCase());
    const appId = (d.appId ?? prior?.appId ?? randomUUID()).toLowerCase();
    const now = new Date().toISOString();
    const passwords = [...(prior?.passwordCredentials ?? [])];
    for (const [i, p] of (d.passwordCredentials ?? []).entries()) {
      const keyId = (p.keyId ?? nameBasedGuid(appId, 'password', p.displayName ?? String(i))).toLowerCase();
      const at = passwords.findIndex((x) => x.keyId === keyId);
      const existing = at >= 0 ? passwords[at] : undefined;
      const sameSecret = existing ? await verifySecret(p.secretText, existing.secretHash) : false;
      const cred: PasswordCredential = {
        keyId, displayName: p.displayName, hint: secretHint(p.secretText),
        secretHash: sameSecret && existing ? existing.secretHash : await hashSecret(p.secretText, false),
        startDateTime: p.startDateTime ?? existing?.startDateTime ?? now, endDateTime: p.endDateTime,
      };
      if (at >= 0) passwords[at] = cred; else passwords.push(cred);
    }
    const certs = [...(prior?.keyCredentials ?? [])];
    for (const [i, c] of (d.keyCredentials ?? []).entries()) {
      const parsed = parseCertificate(c.key);
      const keyId = (c.keyId ?? nameBasedGuid(appId, 'certificate', parsed.x5tS256, String(i))).toLowerCase();
      const cred = this.#keyCredential(keyId, c.displayName, parsed);
      const at = certs.findIndex((x) => x.keyId === keyId);
      if (at >= 0) certs[at] = cred; else certs.push(cred);
    }
    const app: Application = {
      id: (d.id ?? prior?.id ?? randomUUID()).toLowerCase(), appId, tenantId,
      displayName: d.displayName,
      identifierUris: d.identifierUris ?? prior?.identifierUris ?? [],
      isFallbackPublicClient: d.isFallbackPublicClient ?? prior?.isFallbackPublicClient ?? false,
      requestedAccessTokenVersion: d.requestedAccessTokenVersion ?? prior?.requestedAccessTokenVersion ?? null,
      passwordCredentials: passwords, keyCredentials: certs,
      createdDateTime: prior?.createdDateTime ?? now,
    };
    await this.#putApplication(app);
    if (!this.#sps.has(appId)) {
      await this.#putServicePrincipal({ id: randomUUID(), appId, tenantId, displayName: app.displayName, servicePrincipalType: 'Application', alternativeNames: [] });
    }
    return app;
  }

  #keyCredential(keyId: string, displayName: string | undefined, parsed: ReturnType<typeof parseCertificate>): KeyCredential {
    return {
      keyId, displayName, type: 'AsymmetricX509Cert', usage: 'Verify', certPem: parsed.pem,
      x5t: parsed.x5t, x5tS256: parsed.x5tS256, customKeyIdentifier: parsed.thumbprintHex,
      startDateTime: parsed.notBefore, endDateTime: parsed.notAfter,
    };
  }

  /** Graph's addPassword: generates the secret, stores its hash, returns the text once. */
  async addPassword(appId: string, opts: { displayName?: string; endDateTime?: string } = {}): Promise<{ credential: PasswordCredential; secretText: string }> {
    const app = this.#requireApp(appId);
    const secretText = generateSecret();
    const credential: PasswordCredential = {
      keyId: randomUUID(), displayName: opts.displayName, hint: secretHint(secretText),
      secretHash: await hashSecret(secretText, true), startDateTime: new Date().toISOString(), endDateTime: opts.endDateTime,
    };
    await this.#putApplication({ ...app, passwordCredentials: [...app.passwordCredentials, credential] });
    return { credential, secretText };
  }

  /** Replaces an application's properties (Graph PATCH); credentials have their own calls. */
  async updateApplication(appId: string, patch: { displayName?: string; identifierUris?: string[]; isFallbackPublicClient?: boolean; requestedAccessTokenVersion?: 1 | 2 | null }): Promise<Application> {
    const app = this.#requireApp(appId);
    const next: Application = {
      ...app,
      ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
      ...(patch.identifierUris !== undefined ? { identifierUris: patch.identifierUris } : {}),
      ...(patch.isFallbackPublicClient !== undefined ? { isFallbackPublicClient: patch.isFallbackPublicClient } : {}),
      ...(patch.requestedAccessTokenVersion !== undefined ? { requestedAccessTokenVersion: patch.requestedAccessTokenVersion } : {}),
    };
    await this.#putApplication(next);
    return next;
  }

  /** Deletes an application with its service principal. */
  async deleteApplication(appId: string): Promise<boolean> {
    const app = this.findApplication(appId);
    if (!app) return false;
    await this.#store.delete(KIND.application, app.appId);
    await this.#store.delete(KIND.servicePrincipal, app.appId);
    this.#apps.delete(app.appId);
    this.#sps.delete(app.appId);
    return true;
  }

  async removeCertificate(appId: string, keyId: string): Promise<boolean> {
    const app = this.#requireApp(appId);
    const kept = app.keyCredentials.filter((k) => k.keyId !== keyId.toLowerCase());
    if (kept.length === app.keyCredentials.length) return false;
    await this.#putApplication({ ...app, keyCredentials: kept });
    return true;
  }

  servicePrincipals(tenantId?: string): ServicePrincipal[] {
    return [...this.#sps.values()].filter((s) => !tenantId || s.tenantId === tenantId);
  }

  async removePassword(appId: string, keyId: string): Promise<boolean> {
    const app = this.#requireApp(appId);
    const kept = app.passwordCredentials.filter((p) => p.keyId !== keyId.toLowerCase());
    if (kept.length === app.passwordCredentials.length) return false;
    await this.#putApplication({ ...app, passwordCredentials: kept });
    return true;
  }

  async addCertificate(appId: string, pemOrDer: string, displayName?: string): Promise<KeyCredential> {
    const app = this.#requireApp(appId);
    const cred = this.#keyCredential(randomUUID(), displayName, parseCertificate(pemOrDer));
    await this.#putApplication({ ...app, keyCredentials: [...app.keyCredentials, cred] });
    return cred;
  }

  /** Checks a presented secret against every secret of the app; expiry matters only on a match. */
  async checkClientSecret(app: Application, secret: string, now = Date.now()): Promise<SecretCheck> {
    let expired = false;
    for (const p of app.passwordCredentials) {
      if (!(await verifySecret(secret, p.secretHash))) continue;
      const notYet = Date.parse(p.startDateTime) > now + 300_000;
      const past = p.endDateTime !== undefined && Date.parse(p.endDateTime) <= now;
      if (!notYet && !past) return 'ok';
      expired = true;
    }
    return expired ? 'expired' : 'wrong';
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

  async #putApplication(app: Application): Promise<void> {
    await this.#store.put(KIND.application, app.appId, app, app.tenantId);
    this.#apps.set(app.appId, app);
  }

  async #putServicePrincipal(sp: ServicePrincipal): Promise<void> {
    await this.#store.put(KIND.servicePrincipal, sp.appId, sp, sp.tenantId);
    this.#sps.set(sp.appId, sp);
  }

  // ---- users -----------------------------------------------------------------------------------

  getUser(userPrincipalName: string): User | undefined {
    return this.#users.get(userPrincipalName.toLowerCase());
  }

  users(tenantId?: string): User[] {
    return [...this.#users.values()].filter((u) => !tenantId || u.tenantId === tenantId);
  }

  async upsertUser(tenantId: string, d: { userPrincipalName: string; displayName?: string; id?: string; password: string }): Promise<User> {
    const prior = this.getUser(d.userPrincipalName);
    const same = prior ? await verifySecret(d.password, prior.passwordHash) : false;
    const user: User = {
      id: (d.id ?? prior?.id ?? randomUUID()).toLowerCase(), tenantId,
      userPrincipalName: d.userPrincipalName, displayName: d.displayName ?? prior?.displayName ?? d.userPrincipalName.split('@')[0]!,
      passwordHash: same && prior ? prior.passwordHash : await hashSecret(d.password, false),
    };
    await this.#store.put(KIND.user, user.userPrincipalName.toLowerCase(), user, tenantId);
    this.#users.set(user.userPrincipalName.toLowerCase(), user);
    return user;
  }

  async checkPassword(user: User, password: string): Promise<boolean> {
    return verifySecret(password, user.passwordHash);
  }

  // ---- managed identities ----------------------------------------------------------------------

  managedIdentities(): ManagedIdentity[] {
    return [...this.#mis.values()];
  }

  getManagedIdentityOf(resourceId: string): ManagedIdentity | undefined {
    return this.#mis.get(resourceId.toLowerCase());
  }

  /** Selects by client id, object (principal) id or ARM resource id, as the MI endpoints do. */
  findManagedIdentity(sel: { clientId?: string; objectId?: string; resourceId?: string }): ManagedIdentity | undefined {
    if (sel.resourceId) return this.#mis.get(sel.resourceId.toLowerCase());
    const c = sel.clientId?.toLowerCase();
    const o = sel.objectId?.toLowerCase();
    for (const m of this.#mis.values()) if ((c && m.clientId === c) || (o && m.principalId === o)) return m;
    return undefined;
  }

  /**
   * Creates (or keeps) a managed identity and its service principal. A system-assigned identity's
   * resource id is its resource's; a user-assigned one has its own.
   */
  async ensureManagedIdentity(d: { type: ManagedIdentity['type']; resourceId: string; name: string; tenantId: string; clientId?: string; principalId?: string }): Promise<ManagedIdentity> {
    const prior = this.getManagedIdentityOf(d.resourceId);
    const mi: ManagedIdentity = {
      type: d.type, resourceId: d.resourceId, name: d.name, tenantId: d.tenantId,
      clientId: (d.clientId ?? prior?.clientId ?? randomUUID()).toLowerCase(),
      principalId: (d.principalId ?? prior?.principalId ?? randomUUID()).toLowerCase(),
    };
    if (prior && prior.clientId !== mi.clientId) this.#sps.delete(prior.clientId);
    await this.#store.put(KIND.managedIdentity, mi.resourceId.toLowerCase(), mi, mi.tenantId);
    this.#mis.set(mi.resourceId.toLowerCase(), mi);
    await this.#putServicePrincipal({
      id: mi.principalId, appId: mi.clientId, tenantId: mi.tenantId, displayName: mi.name,
      servicePrincipalType: 'ManagedIdentity', alternativeNames: [`isExplicit=${mi.type === 'UserAssigned'}`, mi.resourceId],
    });
    return mi;
  }

  /** Deletes a managed identity with its service principal (a resource losing its system identity). */
  async deleteManagedIdentity(resourceId: string): Promise<boolean> {
    const mi = this.getManagedIdentityOf(resourceId);
    if (!mi) return false;
    await this.#store.delete(KIND.managedIdentity, resourceId.toLowerCase());
    await this.#store.delete(KIND.servicePrincipal, mi.clientId);
    this.#mis.delete(resourceId.toLowerCase());
    this.#sps.delete(mi.clientId);
    return true;
  }
}
