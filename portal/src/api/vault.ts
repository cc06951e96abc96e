import type { Session } from '../auth/session.ts';
import { ARM_VERSION, arm, dataPlane } from './http.ts';

/** Microsoft.KeyVault/vaults as ARM answers them (what the blades show). */
export type PolicyCategory = 'keys' | 'secrets' | 'certificates' | 'storage';
export interface AccessPolicy { tenantId: string; objectId: string; applicationId?: string; permissions: Partial<Record<PolicyCategory, string[]>> }
export interface Vault {
  id: string; name: string; type: string; location: string;
  properties: {
    tenantId: string; vaultUri: string | null; enableRbacAuthorization: boolean; accessPolicies: AccessPolicy[];
    enableSoftDelete?: boolean; softDeleteRetentionInDays?: number; sku?: { name: string }; publicNetworkAccess?: string;
  };
}

const V = ARM_VERSION.keyVault;
export const isVault = (id: string) => /\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i.test(id);
export const listVaults = (s: Session, subscriptionId: string) =>
  arm<{ value: Vault[] }>(s, 'GET', `/subscriptions/${subscriptionId}/providers/Microsoft.KeyVault/vaults`, V).then((r) => r.value);
export const getVault = (s: Session, id: string) => arm<Vault>(s, 'GET', id, V);
export const setPermissionModel = (s: Session, id: string, enableRbacAuthorization: boolean) =>
  arm<Vault>(s, 'PATCH', id, V, { properties: { enableRbacAuthorization } });
/** `PUT {vault}/accessPolicies/{add|replace|remove}` (Microsoft.KeyVault/vaults/accessPolicies/write). */
export const updatePolicies = (s: Session, id: string, kind: 'add' | 'replace' | 'remove', accessPolicies: AccessPolicy[]) =>
  arm<unknown>(s, 'PUT', `${id}/accessPolicies/${kind}`, V, { properties: { accessPolicies } });

/** Azure's permission names per category, in the portal's order. */
export const POLICY_PERMISSIONS: Record<'keys' | 'secrets' | 'certificates', { group: string; names: string[] }[]> = {
  keys: [
    { group: 'Key Management Operations', names: ['get', 'list', 'update', 'create', 'import', 'delete', 'recover', 'backup', 'restore'] },
    { group: 'Cryptographic Operations', names: ['decrypt', 'encrypt', 'unwrapKey', 'wrapKey', 'verify', 'sign'] },
    { group: 'Privileged Key Operations', names: ['purge', 'release', 'rotate', 'getrotationpolicy', 'setrotationpolicy'] },
  ],
  secrets: [
    { group: 'Secret Management Operations', names: ['get', 'list', 'set', 'delete', 'recover', 'backup', 'restore'] },
    { group: 'Privileged Secret Operations', names: ['purge'] },
  ],
  certificates: [
    { group: 'Certificate Management Operations', names: ['get', 'list', 'update', 'create', 'import', 'delete', 'recover', 'backup', 'restore', 'managecontacts', 'manageissuers', 'getissuers', 'listissuers', 'setissuers', 'deleteissuers'] },
    { group: 'Privileged Certificate Operations', names: ['purge'] },
  ],
};

// ---- the vault's data plane, at its own origin, with a token for https://vault.azure.net ----

export const VAULT_SCOPE = 'https://vault.azure.net/.default';
const DATA_VERSION = '7.4';

export interface SecretAttributes { enabled?: boolean; nbf?: number; exp?: number; created?: number; updated?: number; recoveryLevel?: string }
export interface SecretItem { id: string; contentType?: string; attributes: SecretAttributes; tags?: Record<string, string> }
export interface SecretBundle extends SecretItem { value: string }
export interface DeletedSecretItem extends SecretItem { recoveryId: string; deletedDate: number; scheduledPurgeDate: number }
export interface NewSecret { value: string; contentType?: string; attributes: { enabled: boolean; nbf?: number; exp?: number } }

/** The name and version in a secret id `{vault}/secrets/{name}/{version}`. */
export function secretIdParts(id: string): { name: string; version?: string } {
  const [, name = '', version] = /\/(?:deleted)?secrets\/([^/?]+)(?:\/([^/?]+))?/i.exec(id) ?? [];
  return { name: decodeURIComponent(name), version };
}

export class VaultData {
  readonly #s: Session;
  readonly #base: string;
  constructor(session: Session, vaultUri: string) {
    this.#s = session;
    this.#base = vaultUri.replace(/\/+$/, '');
  }

  #url(path: string): string {
    return `${this.#base}${path}${path.includes('?') ? '&' : '?'}api-version=${DATA_VERSION}`;
  }

  #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return dataPlane<T>(this.#s, VAULT_SCOPE, method, this.#url(path), body);
  }

  /** Every page of a list (nextLink is a full URL on the vault's origin). */
  async #all<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | null = this.#url(path);
    for (let pages = 0; next && pages < 400; pages++) {
      if (!next.startsWith(`${this.#base}/`)) break; // only ever follow links on this vault
      const page: { value: T[]; nextLink?: string | null } = await dataPlane(this.#s, VAULT_SCOPE, 'GET', next);
      items.push(...page.value);
      next = page.nextLink ?? null;
    }
    return items;
  }

  listSecrets = () => this.#all<SecretItem>('/secrets');
  listVersions = (name: string) => this.#all<SecretItem>(`/secrets/${encodeURIComponent(name)}/versions`);
  getSecret = (name: string, version?: string) => this.#call<SecretBundle>('GET', `/secrets/${encodeURIComponent(name)}${version ? `/${encodeURIComponent(version)}` : ''}`);
  setSecret = (name: string, s: NewSecret) => this.#call<SecretBundle>('PUT', `/secrets/${encodeURIComponent(name)}`, s);
  updateSecret = (name: string, version: string, attributes: { enabled: boolean }) =>
    this.#call<SecretItem>('PATCH', `/secrets/${encodeURIComponent(name)}/${encodeURIComponent(version)}`, { attributes });
  deleteSecret = (name: string) => this.#call<DeletedSecretItem>('DELETE', `/secrets/${encodeURIComponent(name)}`);
  listDeleted = () => this.#all<DeletedSecretItem>('/deletedsecrets');
  recover = (name: string) => this.#call<SecretItem>('POST', `/deletedsecrets/${encodeURIComponent(name)}/recover`);
  purge = (name: string) => this.#call<void>('DELETE', `/deletedsecrets/${encodeURIComponent(name)}`);
}
