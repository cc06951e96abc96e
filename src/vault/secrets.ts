/**
 * One vault's secrets with their versions and soft-deleted state. Names are case-insensitive (as in
 * Key Vault) and keep the casing they were created with.
 *
 * Storage: each version is its own record (`vault.secret-version`, parent = the secret), and the
 * secret's header (`vault.secret`, parent = the vault) holds the current version's metadata and a
 * count. Setting a secret therefore writes one version and one small header, whatever the number
 * of versions; memory holds headers only, values are read from the store when asked for.
 *
 * Values are stored as given: the store file is readable by its owner only (like access keys, a
 * secret's value must be retrievable, so it cannot be hashed).
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { KV } from './errors.ts';

export const SECRET_KIND = 'vault.secret';
export const SECRET_VERSION_KIND = 'vault.secret-version';

/** Versions one secret keeps; past it, sets are refused (Azure-shaped 400, innererror TooManyVersions). */
export const MAX_VERSIONS = 500;
/** Secrets (live or deleted) one vault holds. */
export const MAX_SECRETS = 10_000;

export interface SecretVersionMeta {
  version: string;
  /** Creation order within the secret (0, 1, …): the newest has the largest. */
  seq: number;
  contentType?: string | undefined;
  tags?: Record<string, string> | undefined;
  enabled: boolean;
  /** Epoch seconds, as Key Vault's attributes. */
  nbf?: number | undefined;
  exp?: number | undefined;
  created: number;
  updated: number;
}

export interface SecretVersion extends SecretVersionMeta {
  value: string;
}

export interface SecretDoc {
  name: string;
  /** Metadata of the newest version (no value). */
  current: SecretVersionMeta;
  versionCount: number;
  deleted?: { deletedDate: number; scheduledPurgeDate: number } | undefined;
}

/** The layout before versions had records of their own: every version inside the header. */
interface LegacySecretDoc {
  name: string;
  versions: Omit<SecretVersion, 'seq'>[];
  deleted?: SecretDoc['deleted'];
}

export interface SetSecretInput {
  value: string;
  contentType?: string | undefined;
  tags?: Record<string, string> | undefined;
  enabled?: boolean | undefined;
  nbf?: number | undefined;
  exp?: number | undefined;
}

type MetaPatch = Partial<Pick<SecretVersionMeta, 'contentType' | 'tags' | 'enabled' | 'nbf' | 'exp'>>;

export class SecretRepository {
  readonly #store: Store;
  readonly #vaultId: string;
  readonly #docs = new Map<string, SecretDoc>();
  /** Writes run one at a time: two sets of one secret must not both read the same header. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: Store, vaultId: string) {
    this.#store = store;
    this.#vaultId = vaultId.toLowerCase();
  }

  async load(): Promise<void> {
    for (const d of await this.#store.list<SecretDoc | LegacySecretDoc>(SECRET_KIND, this.#vaultId)) {
      const doc = 'versions' in d ? await this.#migrate(d) : d;
      this.#docs.set(doc.name.toLowerCase(), doc);
    }
  }

  /** Moves a legacy document's versions into records of their own, once. */
  async #migrate(legacy: LegacySecretDoc): Promise<SecretDoc> {
    const versions = legacy.versions.map((v, seq) => ({ ...v, seq }));
    const { value: _value, ...current } = versions[versions.length - 1]!;
    const doc: SecretDoc = { name: legacy.name, current, versionCount: versions.length, deleted: legacy.deleted };
    await this.#store.transaction(async (tx) => {
      for (const v of versions) await tx.put(SECRET_VERSION_KIND, this.#versionId(legacy.name, v.version), v, this.#id(legacy.name));
      await tx.put(SECRET_KIND, this.#id(doc.name), doc, this.#vaultId);
    });
    return doc;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #id(name: string): string {
    return `${this.#vaultId}/secrets/${name.toLowerCase()}`;
  }

  #versionId(name: string, version: string): string {
    return `${this.#id(name)}/${version.toLowerCase()}`;
  }

  async #putHeader(doc: SecretDoc, tx: Store = this.#store): Promise<void> {
    await tx.put(SECRET_KIND, this.#id(doc.name), doc, this.#vaultId);
    this.#docs.set(doc.name.toLowerCase(), doc);
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

  /** One version with its value (the current one when `version` is undefined). */
  async readVersion(name: string, version?: string): Promise<SecretVersion | undefined> {
    const doc = this.get(name);
    if (!doc) return undefined;
    return this.#store.get<SecretVersion>(SECRET_VERSION_KIND, this.#versionId(doc.name, version ?? doc.current.version));
  }

  /** Every version's metadata, oldest first (at most MAX_VERSIONS). */
  async versions(name: string): Promise<SecretVersionMeta[]> {
    const doc = this.get(name);
    if (!doc) return [];
    const all = await this.#store.list<SecretVersion>(SECRET_VERSION_KIND, this.#id(doc.name));
    return all.map(({ value: _value, ...meta }) => meta).sort((a, b) => a.seq - b.seq);
  }

  /** Adds a version (the first one creates the secret). Caller checks the deleted state. */
  set(name: string, input: SetSecretInput, now = nowSeconds()): Promise<SecretVersion> {
    return this.#exclusive(async () => {
      const prior = this.get(name);
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
      const secretName = prior?.name ?? name;
      const { value: _value, ...meta } = v;
      await this.#store.transaction(async (tx) => {
        await tx.put(SECRET_VERSION_KIND, this.#versionId(secretName, v.version), v, this.#id(secretName));
        await this.#putHeader({ name: secretName, current: meta, versionCount: (prior?.versionCount ?? 0) + 1 }, tx);
      });
      return v;
    });
  }

  update(name: string, version: string, patch: MetaPatch, now = nowSeconds()): Promise<SecretVersionMeta | undefined> {
    return this.#exclusive(async () => {
      const doc = this.get(name);
      if (!doc || doc.deleted) return undefined;
      const stored = await this.readVersion(doc.name, version);
      if (!stored) return undefined;
      const next: SecretVersion = { ...stored, updated: now };
      for (const k of ['contentType', 'tags', 'enabled', 'nbf', 'exp'] as const) {
        if (patch[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = patch[k];
      }
      const { value: _value, ...meta } = next;
      await this.#store.transaction(async (tx) => {
        await tx.put(SECRET_VERSION_KIND, this.#versionId(doc.name, next.version), next, this.#id(doc.name));
        if (doc.current.version === next.version) await this.#putHeader({ ...doc, current: meta }, tx);
      });
      return meta;
    });
  }

  softDelete(name: string, retentionDays: number, now = nowSeconds()): Promise<SecretDoc | undefined> {
    return this.#exclusive(async () => {
      const doc = this.get(name);
      if (!doc || doc.deleted) return undefined;
      const next = { ...doc, deleted: { deletedDate: now, scheduledPurgeDate: now + retentionDays * 86400 } };
      await this.#putHeader(next);
      return next;
    });
  }

  recover(name: string): Promise<SecretDoc | undefined> {
    return this.#exclusive(async () => {
      const doc = this.get(name);
      if (!doc?.deleted) return undefined;
      const next: SecretDoc = { name: doc.name, current: doc.current, versionCount: doc.versionCount };
      await this.#putHeader(next);
      return next;
    });
  }

  purge(name: string): Promise<boolean> {
    return this.#exclusive(async () => {
      const doc = this.get(name);
      if (!doc?.deleted) return false;
      const versions = await this.#store.list<SecretVersion>(SECRET_VERSION_KIND, this.#id(doc.name));
      await this.#store.transaction(async (tx) => {
        for (const v of versions) await tx.delete(SECRET_VERSION_KIND, this.#versionId(doc.name, v.version));
        await tx.delete(SECRET_KIND, this.#id(doc.name));
      });
      this.#docs.delete(doc.name.toLowerCase());
      return true;
    });
  }
}

const byName = (a: SecretDoc, b: SecretDoc) => a.name.toLowerCase().localeCompare(b.name.toLowerCase());

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
