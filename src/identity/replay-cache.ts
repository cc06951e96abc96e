import { LRUCache } from 'lru-cache';
import { KIND } from './model.ts';
import type { Store } from '../store/index.ts';

/** An accepted assertion stays remembered until its `exp` plus this skew. */
export const REPLAY_SKEW_S = 300;

/**
 * Remembers the `jti` of accepted assertions until they expire, so a captured assertion cannot
 * be replayed. msal-node reuses one assertion for every token request of a credential during its
 * ten-minute life (a second resource, say), so a replay is the same jti for the same resource:
 * a legitimate client never sends that, because it holds the hour-long token in its cache.
 * Entries are written through to the store, so a restart does not reopen the window. The memory
 * side is an LRU bounded in count; when full the least recently used entry goes (it expires
 * within the hour anyway) and its stored copy with it.
 */
export class ReplayCache {
  readonly #seen: LRUCache<string, number>;
  readonly #store: Store | undefined;

  constructor(store?: Store, max = 100_000) {
    this.#store = store;
    this.#seen = new LRUCache<string, number>({
      max,
      dispose: (_until, key, reason) => {
        if (reason === 'set') return;
        // Dropped from memory (evicted or expired): the stored copy goes too; a failed delete only
        // leaves a row that the next load() removes once expired.
        this.#store?.delete(KIND.assertionJti, key).catch(() => undefined);
      },
    });
  }

  /** Loads the entries still live and drops the expired ones from the store. */
  async load(now = Math.floor(Date.now() / 1000)): Promise<void> {
    if (!this.#store) return;
    for (const e of await this.#store.list<{ key: string; until: number }>(KIND.assertionJti)) {
      if (e.until > now) this.#remember(e.key, e.until, now);
      else await this.#store.delete(KIND.assertionJti, e.key);
    }
  }

  /** Returns false if this (client, jti, resource) was already used. */
  async claim(clientId: string, jti: string, resource: string, exp: number, now = Math.floor(Date.now() / 1000)): Promise<boolean> {
    const key = `${clientId}|${jti}|${resource.toLowerCase()}`;
    const until = this.#seen.get(key);
    if (until !== undefined && until > now) return false;
    const entry = Math.ceil(exp) + REPLAY_SKEW_S;
    this.#remember(key, entry, now);
    await this.#store?.put(KIND.assertionJti, key, { key, until: entry });
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #remember(key: string, until: number, now: number): void {
    this.#seen.set(key, until, { ttl: Math.max(1, until - now) * 1000 });
  }
}
