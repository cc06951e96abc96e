import { randomBytes } from 'node:crypto';
import type { Sealer, Store } from '../store/index.ts';
import { NamedRecords, type NamedRecordsOptions, type RecordCodec } from './named-records.ts';
import { ResourceNames, type ClaimResult } from './resource-names.ts';
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

/** The store kind holding records of an ARM type. */
function kindOfType(type: string): string {
  const t = type.toLowerCase();
  return t === SIGNALR_TYPE.toLowerCase() ? SIGNALR_KIND : t === KEY_VAULT_TYPE.toLowerCase() ? VAULT_KIND : KIND;
}

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

/** Access keys and the token-signing key are sealed at rest, each bound to its record and field. */
function keyCodec<T extends ServiceResourceRecord>(sealer: Sealer, kind: string): RecordCodec<T> {
  const ctx = (id: string, field: string) => `${kind}/${id}/${field}`;
  const map = (r: T, id: string, f: (value: string, context: string) => string): T => ({
    ...r,
    accessKeys: {
      primaryKey: f(r.accessKeys.primaryKey, ctx(id, 'primaryKey')),
      secondaryKey: f(r.accessKeys.secondaryKey, ctx(id, 'secondaryKey')),
    },
    ...(typeof r.internalKey === 'string' ? { internalKey: f(r.internalKey, ctx(id, 'internalKey')) } : {}),
  });
  return {
    toStored: (r, id) => map(r, id, (v, c) => sealer.seal(v, c)),
    fromStored: (d, id) => (d.accessKeys ? map(d, id, (v, c) => sealer.open(v, c)) : d),
  };
}

/** The records of one Microsoft.SignalRService kind, with the key operations every kind shares. */
export class ServiceRecords<T extends ServiceResourceRecord> extends NamedRecords<T> {
  readonly type: T['type'];

  constructor(store: Store, kind: string, type: T['type'], opts: NamedRecordsOptions<T>) {
    super(store, kind, opts);
    this.type = type;
  }

  /** Azure's regenerateKey: a new value for one key; the other keeps working meanwhile. */
  async regenerateKey(name: string, which: 'Primary' | 'Secondary'): Promise<T> {
    const field = which === 'Primary' ? 'primaryKey' : 'secondaryKey';
    const next = await this.update(name, (r) => ({ ...r, accessKeys: { ...r.accessKeys, [field]: generateAccessKey() } }));
    if (!next) throw new Error(`no resource ${name}`);
    return next;
  }

  /** Keeps the ports a resource's listeners got, so its connection strings survive restarts. */
  async rememberPorts(record: T, ports: { https: number; http: number }): Promise<void> {
    if (!this.get(record.name)) {
      await this.put({ ...record, ports });
      return;
    }
    await this.update(record.name, (r) => (r.ports.https === ports.https && r.ports.http === ports.http ? undefined : { ...r, ports }));
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
  readonly #names: ResourceNames;

  constructor(store: Store, opts: { sealer: Sealer; onError?: (err: unknown) => void }) {
    this.#names = new ResourceNames(store, async (type, name) => (await store.get(kindOfType(type), name.toLowerCase())) !== undefined);
    const common = { onError: opts.onError, onDelete: (tx: Store, name: string) => this.#names.release(name, tx) };
    this.webPubSub = new ServiceRecords<ResourceRecord>(store, KIND, WEBPUBSUB_TYPE, { ...common, codec: keyCodec(opts.sealer, KIND) });
    this.signalR = new ServiceRecords<SignalRRecord>(store, SIGNALR_KIND, SIGNALR_TYPE, { ...common, codec: keyCodec(opts.sealer, SIGNALR_KIND) });
    this.#vaultsByName = new NamedRecords(store, VAULT_KIND, common);
  }

  /** Loads every record (then follows the store's changes); records from older data directories get their name claims. */
  async load(): Promise<void> {
    await this.webPubSub.load();
    await this.signalR.load();
    await this.#vaultsByName.load();
    await this.#names.backfill([...this.services(), ...this.vaults()]);
  }

  /**
   * Claims a name for a new resource of `type`, atomically across nodes (see resource-names.ts).
   * `sameTypeIsMine`: a declared resource re-applied at start. Release it if the creation fails.
   */
  claimName(name: string, type: string, sameTypeIsMine = false): Promise<ClaimResult> {
    return this.#names.claim(name, type, sameTypeIsMine);
  }

  releaseName(name: string): Promise<void> {
    return this.#names.release(name);
  }

  /**
   * Web PubSub and SignalR resources appearing and going, through this node or any other (once
   * each): the node starts and stops their listeners.
   */
  onServices(events: { added(record: ServiceResourceRecord): void; removed(record: ServiceResourceRecord): void }): () => void {
    const offs = [
      this.webPubSub.on({ added: (r) => events.added(r), removed: (r) => events.removed(r) }),
      this.signalR.on({ added: (r) => events.added(r), removed: (r) => events.removed(r) }),
    ];
    return () => { for (const off of offs) off(); };
  }

  /** Resolves when every change seen on the feed so far has been applied (tests, orderly stop). */
  async settled(): Promise<void> {
    await Promise.all([this.webPubSub.settled(), this.signalR.settled(), this.#vaultsByName.settled()]);
  }

  /** Stops following the store. */
  close(): void {
    this.webPubSub.close();
    this.signalR.close();
    this.#vaultsByName.close();
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

  putVault(v: VaultRecord): Promise<void> {
    return this.#vaultsByName.put(v);
  }

  /** Changes a vault's stored record by `fn` (compare-and-swap: concurrent policy changes through two nodes both land). */
  updateVault(name: string, fn: (current: VaultRecord) => VaultRecord | undefined): Promise<VaultRecord | undefined> {
    return this.#vaultsByName.update(name, fn);
  }

  /** Called with a vault's name after its record (access model, policies) changed, through this node or another (once). */
  onVaultChanged(listener: (name: string) => void): () => void {
    return this.#vaultsByName.on({ added: (v) => listener(v.name), changed: (v) => listener(v.name) });
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
