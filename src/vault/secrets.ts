/**
 * One vault's secrets with their versions and soft-deleted state, in memory and written through to
 * the store. Names are case-insensitive (as in Key Vault) and keep the casing they were created with.
 *
 * Values are stored as given: the store file is readable by its owner only (like access keys, a
 * secret's value must be retrievable, so it cannot be hashed).
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.ts';

export const SECRET_KIND = 'vault.secret';

export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string | undefined;
  tags?: Record<string, string> | undefined;
  enabled: boolean;
  /** Epoch seconds, as Key Vault's attributes. */
  nbf?: number | undefined;
  exp?: number | undefined;
  created: number;
  updated: number;
}

export interface SecretDoc {
  name: string;
  /** Oldest first; the last one is the current version. */
  versions: SecretVersion[];
  deleted?: { deletedDate: number; scheduledPurgeDate: number } | undefined;
}

export interface SetSecretInput {
  value: string;
  contentType?: string | undefined;
  tags?: Record<string, string> | undefined;
  enabled?: boolean | undefined;
  nbf?: number | undefined;
  exp?: number | undefined;
}

export class SecretLimitError extends Error {}

const MAX_VERSIONS = 500;
const MAX_SECRETS = 10_000;

export class SecretRepository {
  readonly #store: Store;
  readonly #vaultId: string;
  readonly #docs = new Map<string, SecretDoc>();

  constructor(store: Store, vaultId: string) {
    this.#store = store;
    this.#vaultId = vaultId.toLowerCase();
  }

  async load(): Promise<void> {
    for (const d of await this.#store.list<SecretDoc>(SECRET_KIND, this.#vaultId)) this.#docs.set(d.name.toLowerCase(), d);
  }

  #id(name: string): string {
    return `${this.#vaultId}/secrets/${name.toLowerCase()}`;
  }

  async #put(doc: SecretDoc): Promise<void> {
    await this.#store.put(SECRET_KIND, this.#id(doc.name), doc, this.#vaultId);
    this.#docs.set(doc.name.toLowerCase(), doc);
  }

  /** Drops soft-deleted secrets whose purge date has passed. */
  async purgeExpired(now = nowSeconds()): Promise<void> {
    for (const d of [...this.#docs.values()]) {
      if (d.deleted && d.deleted.scheduledPurgeDate <= now) await this.purge(d.name);
    }
  }

  get(name: string): SecretDoc | undefined {
    return this.#docs.get(name.toLowerCase());
  }

  /** Live (not deleted) secrets, by name. */
  live(): SecretDoc[] {
    return [...this.#docs.values()].filter((d) => !d.deleted).sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }

  deleted(): SecretDoc[] {
    return [...this.#docs.values()].filter((d) => d.deleted).sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }

  /** Adds a version (the first one creates the secret). Caller checks the deleted state. */
  async set(name: string, input: SetSecretInput, now = nowSeconds()): Promise<SecretVersion> {
    const prior = this.get(name);
    if (!prior && this.#docs.size >= MAX_SECRETS) throw new SecretLimitError(`a vault holds at most ${MAX_SECRETS} secrets`);
    if (prior && prior.versions.length >= MAX_VERSIONS) throw new SecretLimitError(`a secret keeps at most ${MAX_VERSIONS} versions: delete and purge it to start again`);
    const v: SecretVersion = {
      version: randomUUID().replace(/-/g, ''),
      value: input.value,
      contentType: input.contentType,
      tags: input.tags,
      enabled: input.enabled ?? true,
      nbf: input.nbf,
      exp: input.exp,
      created: now,
      updated: now,
    };
    await this.#put({ name: prior?.name ?? name, versions: [...(prior?.versions ?? []), v] });
    return v;
  }

  async update(name: string, version: string, patch: Partial<Pick<SecretVersion, 'contentType' | 'tags' | 'enabled' | 'nbf' | 'exp'>>, now = nowSeconds()): Promise<SecretVersion | undefined> {
    const doc = this.get(name);
    if (!doc || doc.deleted) return undefined;
    const at = doc.versions.findIndex((v) => v.version === version.toLowerCase());
    if (at < 0) return undefined;
    const next: SecretVersion = { ...doc.versions[at]!, updated: now };
    for (const k of ['contentType', 'tags', 'enabled', 'nbf', 'exp'] as const) {
      if (patch[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = patch[k];
    }
    const versions = [...doc.versions];
    versions[at] = next;
    await this.#put({ ...doc, versions });
    return next;
  }

  async softDelete(name: string, retentionDays: number, now = nowSeconds()): Promise<SecretDoc | undefined> {
    const doc = this.get(name);
    if (!doc || doc.deleted) return undefined;
    const next = { ...doc, deleted: { deletedDate: now, scheduledPurgeDate: now + retentionDays * 86400 } };
    await this.#put(next);
    return next;
  }

  async recover(name: string): Promise<SecretDoc | undefined> {
    const doc = this.get(name);
    if (!doc?.deleted) return undefined;
    const next = { name: doc.name, versions: doc.versions };
    await this.#put(next);
    return next;
  }

  async purge(name: string): Promise<boolean> {
    const doc = this.get(name);
    if (!doc?.deleted) return false;
    await this.#store.delete(SECRET_KIND, this.#id(doc.name));
    this.#docs.delete(doc.name.toLowerCase());
    return true;
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function current(doc: SecretDoc): SecretVersion {
  return doc.versions[doc.versions.length - 1]!;
}
