/**
 * Temporary access keys (reference §1.6): an Entra principal allowed
 * `Microsoft.SignalRService/SignalR/auth/accessKey/action` fetches one with
 * `GET /api/v1/auth/accessKey`, then signs REST and client tokens with it (JWT header
 * `kid` = KeyId). Keys live 90 minutes. The store is an interface so a cluster can share keys;
 * `get` is synchronous because it sits on the token-verification hot path.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export const TEMPORARY_KEY_LIFETIME_MS = 90 * 60 * 1000;

export interface TemporaryKey {
  keyId: string;
  accessKey: string;
  /** The Entra principal (object id) the key was issued to. */
  principal: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface TemporaryKeyStore {
  issue(principal: string): TemporaryKey | Promise<TemporaryKey>;
  /** The key named `keyId`, when it exists and has not expired. */
  get(keyId: string): TemporaryKey | undefined;
}

export interface InMemoryTemporaryKeyStoreOptions {
  /** Keys kept per principal; issuing more drops that principal's oldest (default 10; the SDK refreshes every ~55 min). */
  maxPerPrincipal?: number;
  /** Keys kept in all (default 10 000); the least recently used go first. */
  maxKeys?: number;
  lifetimeMs?: number;
  now?: () => number;
}

export class InMemoryTemporaryKeyStore implements TemporaryKeyStore {
  readonly #keys: LRUCache<string, TemporaryKey>;
  readonly #byPrincipal: LRUCache<string, string[]>;
  readonly #maxPerPrincipal: number;
  readonly #lifetimeMs: number;
  readonly #now: () => number;

  constructor(o: InMemoryTemporaryKeyStoreOptions = {}) {
    this.#maxPerPrincipal = o.maxPerPrincipal ?? 10;
    this.#lifetimeMs = o.lifetimeMs ?? TEMPORARY_KEY_LIFETIME_MS;
    this.#now = o.now ?? Date.now;
    const maxKeys = o.maxKeys ?? 10_000;
    this.#keys = new LRUCache<string, TemporaryKey>({ max: maxKeys, ttl: this.#lifetimeMs, ttlAutopurge: false });
    this.#byPrincipal = new LRUCache<string, string[]>({ max: maxKeys });
  }

  issue(principal: string): TemporaryKey {
    const key: TemporaryKey = {
      keyId: randomUUID(),
      accessKey: randomBytes(32).toString('base64'),
      principal,
      expiresAt: this.#now() + this.#lifetimeMs,
    };
    this.#keys.set(key.keyId, key);
    const mine = (this.#byPrincipal.get(principal) ?? []).filter((id) => this.#keys.has(id));
    mine.push(key.keyId);
    while (mine.length > this.#maxPerPrincipal) this.#keys.delete(mine.shift()!);
    this.#byPrincipal.set(principal, mine);
    return key;
  }

  get(keyId: string): TemporaryKey | undefined {
    const key = this.#keys.get(keyId);
    // The cache's own TTL uses its clock; the explicit check keeps an injected clock authoritative.
    if (!key || key.expiresAt <= this.#now()) return undefined;
    return key;
  }
}
