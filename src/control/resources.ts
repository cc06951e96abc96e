import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import type { EventHandlerSettings } from '../upstream/index.ts';
import { KEY_VAULT_TYPE, type AccessPolicyEntry } from '../vault/index.ts';

export const WEBPUBSUB_TYPE = 'Microsoft.SignalRService/webPubSub';
const KIND = 'control.resource';

export interface HubRecord {
  name: string;
  properties: { anonymousConnectPolicy?: 'allow' | 'deny'; eventHandlers?: EventHandlerSettings[] };
}

export interface ResourceIdentity {
  type: 'None' | 'SystemAssigned' | 'UserAssigned';
  /** ARM id of the one user-assigned identity, when type is UserAssigned. */
  userAssignedIdentity?: string;
}

/** A Web PubSub resource as stored: ARM shape plus the values Lapis must keep (keys, ports). */
export interface ResourceRecord {
  type: typeof WEBPUBSUB_TYPE;
  id: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  tenantId: string;
  location: string;
  ports: { https?: number; http?: number };
  /** Set by the config file: used as given, never swapped for a free one. */
  declaredPorts: { https?: number; http?: number };
  accessKeys: { primaryKey: string; secondaryKey: string };
  properties: { disableLocalAuth: boolean };
  identity: ResourceIdentity;
  hubs: Record<string, HubRecord>;
  limits: { maxConnections?: number };
  /** Signs client tokens minted by `:generateToken` (valid even with local auth disabled); never shown. */
  internalKey: string;
  /** ARM metadata, kept as given. The SKU limits nothing here (see `limits`). */
  tags?: Record<string, string>;
  sku?: { name: string; capacity?: number };
}

/** A Key Vault (secrets) resource; its secrets live with the vault service. */
export interface VaultRecord {
  type: typeof KEY_VAULT_TYPE;
  id: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  tenantId: string;
  location: string;
  ports: { https?: number };
  declaredPorts: { https?: number };
  /** How data-plane calls are authorised; records from before access policies lack it (RBAC). */
  properties?: { enableRbacAuthorization: boolean; accessPolicies: AccessPolicyEntry[]; softDeleteRetentionInDays?: number | undefined };
}

const VAULT_KIND = 'control.vault';

export function webPubSubId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.SignalRService/webPubSub/${name}`;
}

/** Azure's access keys: 32 random bytes, base64 (44 characters). */
export function generateAccessKey(): string {
  return randomBytes(32).toString('base64');
}

/** One kind of record by case-insensitive name, in memory and written through to the store. */
class NamedRecords<T extends { name: string }> {
  readonly #store: Store;
  readonly #kind: string;
  readonly #byName = new Map<string, T>();

  constructor(store: Store, kind: string) {
    this.#store = store;
    this.#kind = kind;
  }

  async load(): Promise<void> {
    for (const r of await this.#store.list<T>(this.#kind)) this.#byName.set(r.name.toLowerCase(), r);
  }

  list(): T[] {
    return [...this.#byName.values()];
  }

  get(name: string): T | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  async put(r: T): Promise<void> {
    await this.#store.put(this.#kind, r.name.toLowerCase(), r);
    this.#byName.set(r.name.toLowerCase(), r);
  }

  async delete(name: string): Promise<boolean> {
    const removed = await this.#store.delete(this.#kind, name.toLowerCase());
    this.#byName.delete(name.toLowerCase());
    return removed;
  }
}

/**
 * Resources by name (names are unique per Lapis, case-insensitive, as they would be per DNS
 * zone in Azure): Web PubSub resources and Key Vaults. In memory, written through to the store.
 */
export class ResourceRegistry {
  readonly #webPubSub: NamedRecords<ResourceRecord>;
  readonly #vaultsByName: NamedRecords<VaultRecord>;

  constructor(store: Store) {
    this.#webPubSub = new NamedRecords(store, KIND);
    this.#vaultsByName = new NamedRecords(store, VAULT_KIND);
  }

  async load(): Promise<void> {
    await this.#webPubSub.load();
    await this.#vaultsByName.load();
  }

  vaults(): VaultRecord[] {
    return this.#vaultsByName.list();
  }

  getVault(name: string): VaultRecord | undefined {
    return this.#vaultsByName.get(name);
  }

  putVault(v: VaultRecord): Promise<void> {
    return this.#vaultsByName.put(v);
  }

  list(): ResourceRecord[] {
    return this.#webPubSub.list();
  }

  get(name: string): ResourceRecord | undefined {
    return this.#webPubSub.get(name);
  }

  put(r: ResourceRecord): Promise<void> {
    return this.#webPubSub.put(r);
  }

  /** Removes a Web PubSub resource's record (its listeners and identity are the caller's to stop). */
  delete(name: string): Promise<boolean> {
    return this.#webPubSub.delete(name);
  }

  /** Azure's regenerateKey: a new value for one key; the other keeps working meanwhile. */
  async regenerateKey(name: string, which: 'Primary' | 'Secondary'): Promise<ResourceRecord> {
    const r = this.get(name);
    if (!r) throw new Error(`no resource ${name}`);
    const next = { ...r, accessKeys: { ...r.accessKeys, [which === 'Primary' ? 'primaryKey' : 'secondaryKey']: generateAccessKey() } };
    await this.put(next);
    return next;
  }
}
