import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import type { EventHandlerSettings } from '../upstream/index.ts';
import type { SignalRFeature, UpstreamTemplate } from '../config/index.ts';
import { KEY_VAULT_TYPE, type AccessPolicyEntry } from '../vault/index.ts';

export const WEBPUBSUB_TYPE = 'Microsoft.SignalRService/webPubSub';
export const SIGNALR_TYPE = 'Microsoft.SignalRService/signalR';
const KIND = 'control.resource';
const SIGNALR_KIND = 'control.signalr';

export interface HubRecord {
  name: string;
  properties: { anonymousConnectPolicy?: 'allow' | 'deny'; eventHandlers?: EventHandlerSettings[] };
}

export interface ResourceIdentity {
  type: 'None' | 'SystemAssigned' | 'UserAssigned';
  /** ARM id of the one user-assigned identity, when type is UserAssigned. */
  userAssignedIdentity?: string;
}

/**
 * What every Microsoft.SignalRService resource (Web PubSub, SignalR) keeps, whatever its kind:
 * ARM identity, keys, managed identity, its two origins' ports, limits and ARM metadata. The
 * kind-specific settings live in `properties` (and, for Web PubSub, `hubs`).
 */
export interface ServiceResourceBase {
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
  identity: ResourceIdentity;
  /**
   * `maxConnections`: concurrent clients. SignalR default mode only: `maxServerConnections` (app-server
   * connections, Azure's 5000 when absent) and `serverConnectionTimeoutSeconds` (silence after which an
   * app-server connection is dropped, 60 when absent).
   */
  limits: { maxConnections?: number; maxServerConnections?: number; serverConnectionTimeoutSeconds?: number };
  /** Signs client tokens minted by `:generateToken` (valid even with local auth disabled); renewed by the Salt key type; never shown. */
  internalKey: string;
  /** ARM metadata, kept as given. The SKU limits nothing here (see `limits`). */
  tags?: Record<string, string>;
  sku?: { name: string; capacity?: number };
}

/** A Web PubSub resource as stored: ARM shape plus the values Lapis must keep (keys, ports). */
export interface ResourceRecord extends ServiceResourceBase {
  type: typeof WEBPUBSUB_TYPE;
  properties: { disableLocalAuth: boolean };
  hubs: Record<string, HubRecord>;
}
export type WebPubSubRecord = ResourceRecord;

/** The settings of a SignalR resource, in ARM's spelling (canonical casing; Default mode when no ServiceMode feature). */
export interface SignalRProperties {
  features: SignalRFeature[];
  upstream: { templates: UpstreamTemplate[] };
  cors: { allowedOrigins: string[] };
  disableLocalAuth: boolean;
  disableAadAuth: boolean;
}

/** An Azure SignalR resource as stored. Its service mode: `serviceModeOf(record.properties.features)`. */
export interface SignalRRecord extends ServiceResourceBase {
  type: typeof SIGNALR_TYPE;
  properties: SignalRProperties;
}

/** Any resource with its own data-plane origins and access keys. */
export type ServiceResourceRecord = ResourceRecord | SignalRRecord;

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

export function signalRId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.SignalRService/signalR/${name}`;
}

/** Azure's access keys: 32 random bytes, base64 (44 characters). */
export function generateAccessKey(): string {
  return randomBytes(32).toString('base64');
}

/** One kind of record by case-insensitive name, in memory and written through to the store. */
export class NamedRecords<T extends { name: string }> {
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

/** The records of one Microsoft.SignalRService kind, with the key operations every kind shares. */
export class ServiceRecords<T extends ServiceResourceRecord> extends NamedRecords<T> {
  readonly type: T['type'];

  constructor(store: Store, kind: string, type: T['type']) {
    super(store, kind);
    this.type = type;
  }

  /** Azure's regenerateKey: a new value for one key; the other keeps working meanwhile. */
  async regenerateKey(name: string, which: 'Primary' | 'Secondary'): Promise<T> {
    const r = this.get(name);
    if (!r) throw new Error(`no resource ${name}`);
    const next = { ...r, accessKeys: { ...r.accessKeys, [which === 'Primary' ? 'primaryKey' : 'secondaryKey']: generateAccessKey() } };
    await this.put(next);
    return next;
  }

  /** Keeps the ports a resource's listeners got, so its connection strings survive restarts. */
  async rememberPorts(record: T, ports: { https: number; http: number }): Promise<void> {
    const r = this.get(record.name) ?? record;
    if (r.ports.https !== ports.https || r.ports.http !== ports.http || !this.get(record.name)) await this.put({ ...r, ports });
  }
}

/**
 * Resources by name (names are unique per Lapis across every kind, case-insensitive, as they would
 * be per DNS zone in Azure): Web PubSub and SignalR resources (`webPubSub`, `signalR`, one generic
 * `ServiceRecords` each) and Key Vaults. In memory, written through to the store. The unqualified
 * `list/get/put/delete/regenerateKey` are the Web PubSub kind's, as before SignalR existed.
 */
export class ResourceRegistry {
  readonly webPubSub: ServiceRecords<ResourceRecord>;
  readonly signalR: ServiceRecords<SignalRRecord>;
  readonly #vaultsByName: NamedRecords<VaultRecord>;
  readonly #vaultListeners = new Set<(name: string) => void>();

  constructor(store: Store) {
    this.webPubSub = new ServiceRecords<ResourceRecord>(store, KIND, WEBPUBSUB_TYPE);
    this.signalR = new ServiceRecords<SignalRRecord>(store, SIGNALR_KIND, SIGNALR_TYPE);
    this.#vaultsByName = new NamedRecords(store, VAULT_KIND);
  }

  async load(): Promise<void> {
    await this.webPubSub.load();
    await this.signalR.load();
    await this.#vaultsByName.load();
  }

  /** The records of one service kind, by its type (case-insensitive, as ARM compares types). */
  kind<T extends ServiceResourceRecord>(type: T['type']): ServiceRecords<T> {
    return (type.toLowerCase() === SIGNALR_TYPE.toLowerCase() ? this.signalR : this.webPubSub) as unknown as ServiceRecords<T>;
  }

  /** Every Web PubSub and SignalR resource. */
  services(): ServiceResourceRecord[] {
    return [...this.webPubSub.list(), ...this.signalR.list()];
  }

  /** A Web PubSub or SignalR resource by name (system identities are named by their resource). */
  getService(name: string): ServiceResourceRecord | undefined {
    return this.webPubSub.get(name) ?? this.signalR.get(name);
  }

  /** The kind holding a name, if any: names are unique across kinds. */
  nameTakenBy(name: string): string | undefined {
    return this.webPubSub.get(name)?.type ?? this.signalR.get(name)?.type ?? this.#vaultsByName.get(name)?.type;
  }

  vaults(): VaultRecord[] {
    return this.#vaultsByName.list();
  }

  getVault(name: string): VaultRecord | undefined {
    return this.#vaultsByName.get(name);
  }

  async putVault(v: VaultRecord): Promise<void> {
    await this.#vaultsByName.put(v);
    for (const l of this.#vaultListeners) l(v.name);
  }

  /** Called with a vault's name after its record (access model, policies) changed. */
  onVaultChanged(listener: (name: string) => void): () => void {
    this.#vaultListeners.add(listener);
    return () => this.#vaultListeners.delete(listener);
  }

  list(): ResourceRecord[] {
    return this.webPubSub.list();
  }

  get(name: string): ResourceRecord | undefined {
    return this.webPubSub.get(name);
  }

  put(r: ResourceRecord): Promise<void> {
    return this.webPubSub.put(r);
  }

  /** Removes a Web PubSub resource's record (its listeners and identity are the caller's to stop). */
  delete(name: string): Promise<boolean> {
    return this.webPubSub.delete(name);
  }

  regenerateKey(name: string, which: 'Primary' | 'Secondary'): Promise<ResourceRecord> {
    return this.webPubSub.regenerateKey(name, which);
  }
}
