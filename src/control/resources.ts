import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import type { EventHandlerSettings } from '../upstream/index.ts';
import { KEY_VAULT_TYPE } from '../vault/index.ts';

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
}

const VAULT_KIND = 'control.vault';

export function webPubSubId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.SignalRService/webPubSub/${name}`;
}

/** Azure's access keys: 32 random bytes, base64 (44 characters). */
export function generateAccessKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * Resources by name (names are unique per Lapis, case-insensitive, as they would be per DNS
 * zone in Azure): Web PubSub resources and Key Vaults. In memory, written through to the store.
 */
export class ResourceRegistry {
  readonly #store: Store;
  readonly #byName = new Map<string, ResourceRecord>();
  readonly #vaults = new Map<string, VaultRecord>();

  constructor(store: Store) {
    this.#store = store;
  }

  async load(): Promise<void> {
    for (const r of await this.#store.list<ResourceRecord>(KIND)) this.#byName.set(r.name.toLowerCase(), r);
    for (const v of await this.#store.list<VaultRecord>(VAULT_KIND)) this.#vaults.set(v.name.toLowerCase(), v);
  }

  vaults(): VaultRecord[] {
    return [...this.#vaults.values()];
  }

  getVault(name: string): VaultRecord | undefined {
    return this.#vaults.get(name.toLowerCase());
  }

  async putVault(v: VaultRecord): Promise<void> {
    await this.#store.put(VAULT_KIND, v.name.toLowerCase(), v);
    this.#vaults.set(v.name.toLowerCase(), v);
  }

  list(): ResourceRecord[] {
    return [...this.#byName.values()];
  }

  get(name: string): ResourceRecord | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  async put(r: ResourceRecord): Promise<void> {
    await this.#store.put(KIND, r.name.toLowerCase(), r);
    this.#byName.set(r.name.toLowerCase(), r);
  }

  /** Removes a Web PubSub resource's record (its listeners and identity are the caller's to stop). */
  async delete(name: string): Promise<boolean> {
    const removed = await this.#store.delete(KIND, name.toLowerCase());
    this.#byName.delete(name.toLowerCase());
    return removed;
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
