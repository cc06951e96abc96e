/**
 * One vault's secrets with their versions and soft-deleted state. Names are case-insensitive (as in
 * Key Vault) and keep the casing they were created with.
 *
 * Storage: each version is its own record (`vault.secret-version`, parent = the secret), and the
 * secret's header (`vault.secret`, parent = the vault) holds the current version's metadata and a
 * count. Setting a secret therefore writes one version and one small header, whatever the number
 * of versions; memory holds headers only, values are read from the store when asked for.
 *
 * Values are sealed at rest (`Sealer`, under the node's master key, bound to the version's record):
 * a secret's value must be retrievable, so it cannot be hashed, and a database dump alone opens
 * nothing. Values from older data directories were stored as given; they keep working.
 *
 * Across nodes: headers follow the store's change feed (a secret set through any node is listed
 * and read on every node); every write is a compare-and-swap on the header's revision in one
 * transaction with its version record, so concurrent sets through two nodes each get their own
 * version and the count stays exact.
 */
import { randomUUID } from 'node:crypto';
import { ChangeFollower, sameDocument, type Sealer, type Store, type StoreChange } from '../store/index.ts';
import { KV } from './errors.ts';
import { writeSecret, type SecretWriteContext, type WriteStepFn } from './secret-writes.ts';

import {
  MAX_SECRETS, MAX_VERSIONS, SECRET_KIND, SECRET_VERSION_KIND, nowSeconds,
  type LegacySecretDoc, type MetaPatch, type SecretDoc, type SecretVersion, type SecretVersionMeta, type SetSecretInput,
} from './secret-model.ts';

export * from './secret-model.ts';

/** Stores values as given: for pieces composed without a master key (some tests). */
const PLAINTEXT: Pick<Sealer, 'seal' | 'open'> = { seal: (v) => v, open: (v) => v };

export interface SecretRepositoryOptions {
  sealer?: Pick<Sealer, 'seal' | 'open'> | undefined;
  /** Called once per change of a secret (set, update, delete, recover, purge), whichever node made it. */
  onChange?: ((name: string) => void) | undefined;
  onError?: ((err: unknown) => void) | undefined;
}

export class SecretRepository {
  readonly #store: Store;
  readonly #vaultId: string;
  readonly #prefix: string;
  readonly #sealer: Pick<Sealer, 'seal' | 'open'>;
  readonly #docs = new Map<string, SecretDoc>();
  readonly #follower: ChangeFollower;
  readonly #unsubscribe: () => void;
  readonly #onChange: (name: string) => void;
  readonly #changedNames = new Set<string>();
  /**
   * This node's writes run one at a time: not for correctness (compare-and-swap in the store is
   * that), but so that concurrent sets through one node do not all race each other for the header.
   */
  #queue: Promise<unknown> = Promise.resolve();
  /** What the compare-and-swap loop (secret-writes.ts) needs from this repository. */
  readonly #writes: SecretWriteContext;

  constructor(store: Store, vaultId: string, opts: SecretRepositoryOptions = {}) {
    this.#store = store;
    this.#vaultId = vaultId.toLowerCase();
    this.#prefix = `${this.#vaultId}/secrets/`;
    this.#sealer = opts.sealer ?? PLAINTEXT;
    this.#onChange = opts.onChange ?? (() => {});
    this.#follower = new ChangeFollower(store, [SECRET_KIND], {
      parent: this.#vaultId,
      apply: (_kind, id, doc) => this.#apply(id, doc as SecretDoc | LegacySecretDoc | undefined),
      heldIds: () => [...this.#docs.keys()].map((k) => `${this.#prefix}${k}`),
      idOf: (_kind, doc) => this.#id(String(doc.name)),
      onError: opts.onError,
    });
    // Changes are told once per secret per burst (a set writes a version and a header in one transaction).
    this.#unsubscribe = store.changes.subscribe((c) => this.#noteChange(c), [SECRET_KIND, SECRET_VERSION_KIND]);
    this.#writes = {
      store, follower: this.#follower, vaultId: this.#vaultId,
      id: (name) => this.#id(name),
      versionId: (name, version) => this.#versionId(name, version),
      sealed: (name, v) => this.#sealed(name, v),
      apply: (id, doc) => this.#apply(id, doc),
    };
  }

  async load(): Promise<void> {
    for (const d of await this.#store.list<SecretDoc | LegacySecretDoc>(SECRET_KIND, this.#vaultId)) {
      if ('versions' in d) await this.#migrate(d);
    }
    await this.#follower.reload();
  }

  /** Resolves when every change seen on the feed so far has been applied (tests, orderly stop). */
  settled(): Promise<void> {
    return this.#follower.settled();
  }

  close(): void {
    this.#follower.close();
    this.#unsubscribe();
  }

  /** Moves a legacy document's versions into records of their own (values sealed), once. */
  async #migrate(legacy: LegacySecretDoc): Promise<void> {
    const versions = legacy.versions.map((v, seq) => ({ ...v, seq }));
    const { value: _value, ...current } = versions[versions.length - 1]!;
    const doc: SecretDoc = { name: legacy.name, current, versionCount: versions.length, deleted: legacy.deleted };
    await this.#store.transaction(async (tx) => {
      const now = await tx.getVersioned<SecretDoc | LegacySecretDoc>(SECRET_KIND, this.#id(legacy.name));
      if (!now || !('versions' in now.doc)) return;  // another node migrated it
      for (const v of versions) await tx.put(SECRET_VERSION_KIND, this.#versionId(legacy.name, v.version), this.#sealed(legacy.name, v), this.#id(legacy.name));
      await tx.replaceIf(SECRET_KIND, this.#id(doc.name), now.revision, doc, this.#vaultId);
    });
  }

  #id(name: string): string {
    return `${this.#prefix}${name.toLowerCase()}`;
  }

  #versionId(name: string, version: string): string {
    return `${this.#id(name)}/${version.toLowerCase()}`;
  }

  #sealed(name: string, v: SecretVersion): SecretVersion {
    return { ...v, value: this.#sealer.seal(v.value, `${SECRET_VERSION_KIND}/${this.#versionId(name, v.version)}`) };
  }

  #opened(name: string, v: SecretVersion): SecretVersion {
    return { ...v, value: this.#sealer.open(v.value, `${SECRET_VERSION_KIND}/${this.#versionId(name, v.version)}`) };
  }

  #apply(id: string, doc: SecretDoc | LegacySecretDoc | undefined): void {
    if (!id.startsWith(this.#prefix)) return;
    const key = id.slice(this.#prefix.length);
    if (!doc) {
      this.#docs.delete(key);
      return;
    }
    if ('versions' in doc) return;  // legacy: migrated by whoever loads it
    if (typeof doc.name !== 'string' || !doc.current) return;
    const held = this.#docs.get(key);
    if (held && sameDocument(held, doc)) return;
    this.#docs.set(key, doc);
  }

  #noteChange(c: StoreChange): void {
    if (!c.id.startsWith(this.#prefix)) return;
    const key = c.id.slice(this.#prefix.length).split('/')[0]!;
    if (this.#changedNames.size === 0) {
      queueMicrotask(() => {
        const names = [...this.#changedNames];
        this.#changedNames.clear();
        for (const k of names) this.#onChange(this.#docs.get(k)?.name ?? k);
      });
    }
    this.#changedNames.add(key);
  }

  /**
   * Writes one secret through secret-writes.ts, after this node's earlier writes: `step` decides
   * from the stored header (undefined: no change).
   */
  #write<T>(name: string, step: WriteStepFn<T>): Promise<T | undefined> {
    const run = this.#queue.then(() => writeSecret(this.#writes, name, step));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Drops soft-deleted secrets whose purge date has passed; returns their names. */
  async purgeExpired(now = nowSeconds()): Promise<string[]> {
    const purged: string[] = [];
    for (const d of [...this.#docs.values()]) {
      if (d.deleted && d.deleted.scheduledPurgeDate <= now && await this.purge(d.name)) purged.push(d.name);
    }
    return purged;
  }

  get(name: string): SecretDoc | undefined {
    return this.#docs.get(name.toLowerCase());
  }

  /** Live (not deleted) secrets, by name. */
  live(): SecretDoc[] {
    return [...this.#docs.values()].filter((d) => !d.deleted).sort(byName);
  }

  deleted(): SecretDoc[] {
    return [...this.#docs.values()].filter((d) => d.deleted).sort(byName);
  }

  /**
   * The secret's header as stored now (applied to memory too): a read through this node right
   * after a set through another one sees that set, whether or not its notification has arrived.
   */
  async fresh(name: string): Promise<SecretDoc | undefined> {
    const id = this.#id(name);
    const before = this.#follower.generation(SECRET_KIND, id);
    const doc = await this.#store.get<SecretDoc | LegacySecretDoc>(SECRET_KIND, id);
    if (doc && 'versions' in doc) return this.get(name);
    if (this.#follower.generation(SECRET_KIND, id) === before) this.#apply(id, doc);
    return doc;
  }

  /** One version with its value (the current one, as stored now, when `version` is undefined). */
  async readVersion(name: string, version?: string): Promise<SecretVersion | undefined> {
    const doc = version === undefined ? await this.fresh(name) : this.get(name) ?? await this.fresh(name);
    if (!doc) return undefined;
    const v = await this.#store.get<SecretVersion>(SECRET_VERSION_KIND, this.#versionId(doc.name, version ?? doc.current.version));
    return v && this.#opened(doc.name, v);
  }

  /** Every version's metadata, oldest first (at most MAX_VERSIONS). */
  async versions(name: string): Promise<SecretVersionMeta[]> {
    const doc = this.get(name);
    if (!doc) return [];
    const all = await this.#store.list<SecretVersion>(SECRET_VERSION_KIND, this.#id(doc.name));
    return all.map(({ value: _value, ...meta }) => meta).sort((a, b) => a.seq - b.seq);
  }

  /** Adds a version (the first one creates the secret). Caller checks the deleted state. */
  async set(name: string, input: SetSecretInput, now = nowSeconds()): Promise<SecretVersion> {
    const v = await this.#write(name, async (prior) => {
      // Deleted through another node a moment ago: refused as Key Vault does (this node's memory may not know yet).
      if (prior?.deleted) throw KV.deletedButRecoverable(prior.name);
      if (!prior && this.#docs.size >= MAX_SECRETS) throw KV.tooManySecrets(MAX_SECRETS);
      if (prior && prior.versionCount >= MAX_VERSIONS) throw KV.tooManyVersions(prior.name, MAX_VERSIONS);
      const v: SecretVersion = {
        version: randomUUID().replace(/-/g, ''),
        seq: prior ? prior.current.seq + 1 : 0,
        value: input.value,
        contentType: input.contentType,
        tags: input.tags,
        enabled: input.enabled ?? true,
        nbf: input.nbf,
        exp: input.exp,
        created: now,
        updated: now,
      };
      const { value: _value, ...meta } = v;
      const header: SecretDoc = { name: prior?.name ?? name, current: meta, versionCount: (prior?.versionCount ?? 0) + 1 };
      return { header, versions: [v], result: v };
    });
    return v!;
  }

  update(name: string, version: string, patch: MetaPatch, now = nowSeconds()): Promise<SecretVersionMeta | undefined> {
    return this.#write(name, async (doc, tx) => {
      if (!doc || doc.deleted) return undefined;
      const stored = await tx.get<SecretVersion>(SECRET_VERSION_KIND, this.#versionId(doc.name, version));
      if (!stored) return undefined;
      const next: SecretVersion = { ...this.#opened(doc.name, stored), updated: now };
      for (const k of ['contentType', 'tags', 'enabled', 'nbf', 'exp'] as const) {
        if (patch[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = patch[k];
      }
      const { value: _value, ...meta } = next;
      // The header changes only when the current version does, but is always compared-and-swapped:
      // a new version set through another node meanwhile makes this one retry on fresh state.
      const header = doc.current.version === next.version ? { ...doc, current: meta } : doc;
      return { header, versions: [next], result: meta };
    });
  }

  softDelete(name: string, retentionDays: number, now = nowSeconds()): Promise<SecretDoc | undefined> {
    return this.#write(name, async (doc) => {
      if (!doc || doc.deleted) return undefined;
      const next = { ...doc, deleted: { deletedDate: now, scheduledPurgeDate: now + retentionDays * 86400 } };
      return { header: next, result: next };
    });
  }

  recover(name: string): Promise<SecretDoc | undefined> {
    return this.#write(name, async (doc) => {
      if (!doc?.deleted) return undefined;
      const next: SecretDoc = { name: doc.name, current: doc.current, versionCount: doc.versionCount };
      return { header: next, result: next };
    });
  }

  async purge(name: string): Promise<boolean> {
    const done = await this.#write(name, async (doc, tx) => {
      if (!doc?.deleted) return undefined;
      const versions = await tx.list<SecretVersion>(SECRET_VERSION_KIND, this.#id(doc.name));
      return { header: null, removeVersions: versions.map((v) => v.version), result: true };
    });
    return done ?? false;
  }
}

const byName = (a: SecretDoc, b: SecretDoc) => a.name.toLowerCase().localeCompare(b.name.toLowerCase());
