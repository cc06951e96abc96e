/**
 * Resolves `{@Microsoft.KeyVault(SecretUri=…)}` references with the resource's managed identity:
 * a real Key Vault `GET {SecretUri}?api-version=7.4` with a bearer token for
 * https://vault.azure.net, through the vault's own authentication and RBAC. Values are cached and
 * re-read periodically (or at once when the vault says a secret changed). Tokens are only ever
 * sent to vaults this Lapis serves, and values never appear in errors or logs.
 */
import { LRUCache } from 'lru-cache';
import type { KeyVaultReference } from './settings.ts';
import { HttpCallError, KeyVaultReferenceError } from './errors.ts';

export { KeyVaultReferenceError } from './errors.ts';
import type { UpstreamHttpClient } from './http.ts';

export const VAULT_AUDIENCE = 'https://vault.azure.net';
const API_VERSION = '7.4';


export interface KeyVaultResolverOptions {
  http: UpstreamHttpClient;
  /** A token with aud https://vault.azure.net for the resource's identity. */
  getToken(): Promise<string>;
  /** Origins (`https://host:port`) of the vaults this Lapis serves. */
  vaultOrigins(): readonly string[];
  /** How long a resolved value is used before it is read again (default 5 min). */
  refreshAfterMs?: number;
  /** How long a failure (e.g. 403) is remembered before the secret is tried again (default 10 s). */
  retryFailedAfterMs?: number;
  timeoutMs?: number;
}

interface Entry { value?: string; error?: string; fetchedAt: number; pending?: Promise<void>; invalidated?: boolean }

export class KeyVaultResolver {
  readonly #o: KeyVaultResolverOptions;
  /** Per SecretUri; bounded (templates are config, but ARM updates can churn through many). */
  readonly #entries = new LRUCache<string, Entry>({ max: 1000 });
  /** Secret reads performed (for tests and metrics). */
  reads = 0;

  constructor(o: KeyVaultResolverOptions) {
    this.#o = o;
  }

  /** The secret's value, or throws KeyVaultReferenceError saying why it cannot be used. */
  async resolve(ref: KeyVaultReference): Promise<string> {
    const key = ref.secretUri.toLowerCase();
    let entry = this.#entries.get(key);
    const ttl = entry?.error !== undefined ? (this.#o.retryFailedAfterMs ?? 10_000) : (this.#o.refreshAfterMs ?? 300_000);
    const stale = !entry || Date.now() - entry.fetchedAt >= ttl;
    const changed = entry?.invalidated === true;
    if (!entry || (stale && !entry.pending)) {
      const e: Entry = entry ?? { fetchedAt: 0 };
      e.pending = this.#fetch(ref, e).finally(() => { e.pending = undefined; });
      this.#entries.set(key, e);
      entry = e;
    }
    // A first read, a stale one that failed before, or one the vault said changed, waits; a merely
    // stale good value is used while it is re-read.
    if (entry.pending && (entry.value === undefined || entry.error !== undefined || changed)) await entry.pending;
    if (entry.error !== undefined) throw new KeyVaultReferenceError(entry.error);
    if (entry.value === undefined) throw new KeyVaultReferenceError(`the secret '${ref.name}' could not be read`);
    return entry.value;
  }

  /** Forget cached values (all, or those of one vault origin): the next use reads them again. */
  invalidate(vaultOrigin?: string): void {
    for (const [k, e] of this.#entries) {
      if (vaultOrigin === undefined || k.startsWith(vaultOrigin.toLowerCase())) {
        e.fetchedAt = 0;
        e.invalidated = true;
      }
    }
  }

  async #fetch(ref: KeyVaultReference, entry: Entry): Promise<void> {
    this.reads++;
    const where = `secret '${ref.name}'${ref.version ? ` version ${ref.version}` : ''} in vault ${ref.vaultOrigin}`;
    entry.invalidated = false;
    const set = (value: string | undefined, error: string | undefined) => {
      entry.value = value;
      entry.error = error;
      entry.fetchedAt = Date.now();
    };
    const known = this.#o.vaultOrigins().map((o) => o.replace(/\/+$/, '').toLowerCase());
    if (!known.includes(ref.vaultOrigin.toLowerCase())) {
      set(undefined, `the Key Vault reference points at ${ref.vaultOrigin}, which is not a vault served by this Lapis (the managed identity's token is only sent to known vaults)`);
      return;
    }
    let token: string;
    try {
      token = await this.#o.getToken();
    } catch (err) {
      set(undefined, `no vault token for the managed identity: ${(err as Error).message}`);
      return;
    }
    try {
      const res = await this.#o.http.call({
        method: 'GET',
        url: new URL(`${ref.secretUri}?api-version=${API_VERSION}`),
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
        timeoutMs: this.#o.timeoutMs ?? 10_000,
        maxResponseBytes: 256 * 1024,
        allowPrivate: true, // a vault of this Lapis, checked above
      });
      if (res.status === 200) {
        const value = parseValue(res.body);
        if (value === undefined) set(undefined, `the vault's answer for ${where} has no value`);
        else set(value, undefined);
        return;
      }
      const code = errorCode(res.body);
      if (res.status === 401 || res.status === 403) {
        set(undefined, `the managed identity is not authorized to read ${where} (${res.status}${code ? ` ${code}` : ''}); grant it a role with Microsoft.KeyVault/vaults/secrets/getSecret/action, such as Key Vault Secrets User`);
      } else if (res.status === 404) {
        set(undefined, `${where} does not exist (404${code ? ` ${code}` : ''})`);
      } else if (entry.value === undefined) {
        set(undefined, `reading ${where} failed with ${res.status}${code ? ` ${code}` : ''}`);
      } else {
        entry.fetchedAt = Date.now(); // keep the last good value through a vault outage
      }
    } catch (err) {
      const why = err instanceof HttpCallError ? err.message : 'unexpected error';
      if (entry.value === undefined) set(undefined, `reading ${where} failed: ${why}`);
      else entry.fetchedAt = Date.now();
    }
  }
}

function parseValue(body: Buffer): string | undefined {
  try {
    const v = (JSON.parse(body.toString('utf8')) as { value?: unknown }).value;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function errorCode(body: Buffer): string | undefined {
  try {
    const e = (JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; innererror?: { code?: unknown } } }).error;
    const inner = e?.innererror?.code;
    return typeof inner === 'string' ? inner : typeof e?.code === 'string' ? e.code : undefined;
  } catch {
    return undefined;
  }
}
