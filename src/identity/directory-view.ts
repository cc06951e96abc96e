import type { Store } from '../store/index.ts';
import { KIND, type Application, type ManagedIdentity, type ServicePrincipal, type Tenant, type User } from './model.ts';

/** The settings document listing the principals with directory admin rights. */
export const ADMINS_ID = 'directoryAdmins';

/** The store kinds the directory keeps in memory (and follows on the change feed). */
export const DIRECTORY_KINDS = [KIND.tenant, KIND.application, KIND.servicePrincipal, KIND.user, KIND.managedIdentity, KIND.settings] as const;

/**
 * The directory's in-memory indexes, as the token endpoint's lookups need them. Each map is keyed
 * by the record's store id, so a change from the feed (kind, id) lands on exactly one entry.
 */
export class DirectoryView {
  tenants = new Map<string, Tenant>();
  apps = new Map<string, Application>();            // by appId (globally unique)
  sps = new Map<string, ServicePrincipal>();        // by appId (managed identities: client id)
  users = new Map<string, User>();                  // by lower-case UPN
  mis = new Map<string, ManagedIdentity>();         // by lower-case resource id
  admins = new Set<string>();                       // principal ids with directory admin rights

  /** Sets or (for `undefined`) drops the record a change names. */
  apply(kind: string, id: string, doc: unknown): void {
    switch (kind) {
      case KIND.tenant: setOrDrop(this.tenants, id, doc as Tenant | undefined); break;
      case KIND.application: setOrDrop(this.apps, id, doc as Application | undefined); break;
      case KIND.servicePrincipal: setOrDrop(this.sps, id, doc as ServicePrincipal | undefined); break;
      case KIND.user: setOrDrop(this.users, id, doc as User | undefined); break;
      case KIND.managedIdentity: setOrDrop(this.mis, id, doc as ManagedIdentity | undefined); break;
      case KIND.settings:
        if (id === ADMINS_ID) this.admins = new Set(Array.isArray(doc) ? doc.filter((p): p is string => typeof p === 'string') : []);
        break;
      default: break;
    }
  }

  /** Reads everything and swaps it in at once (lookups never see a half-loaded directory). */
  async reload(store: Store): Promise<void> {
    const [tenants, apps, sps, users, mis, admins] = await Promise.all([
      store.list<Tenant>(KIND.tenant),
      store.list<Application>(KIND.application),
      store.list<ServicePrincipal>(KIND.servicePrincipal),
      store.list<User>(KIND.user),
      store.list<ManagedIdentity>(KIND.managedIdentity),
      store.get<string[]>(KIND.settings, ADMINS_ID),
    ]);
    this.tenants = new Map(tenants.map((t) => [t.id, t]));
    this.apps = new Map(apps.map((a) => [a.appId, a]));
    this.sps = new Map(sps.map((s) => [s.appId, s]));
    this.users = new Map(users.map((u) => [u.userPrincipalName.toLowerCase(), u]));
    this.mis = new Map(mis.map((m) => [m.resourceId.toLowerCase(), m]));
    this.apply(KIND.settings, ADMINS_ID, admins);
  }

  appByDisplayName(tenantId: string, displayName: string): Application | undefined {
    const name = displayName.toLowerCase();
    for (const a of this.apps.values()) if (a.tenantId === tenantId && a.displayName.toLowerCase() === name) return a;
    return undefined;
  }
}

function setOrDrop<T>(map: Map<string, T>, id: string, doc: T | undefined): void {
  if (doc === undefined) map.delete(id);
  else map.set(id, doc);
}
