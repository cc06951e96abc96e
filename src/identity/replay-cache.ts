import { LRUCache } from 'lru-cache';
import { KIND } from './model.ts';
import type { Store } from '../store/index.ts';

/** An accepted assertion stays remembered until its `exp` plus this skew. */
export const REPLAY_SKEW_S = 300;

interface SeenAssertion { key: string; until: number }

/**
 * Remembers the `jti` of accepted assertions until they expire, so a captured assertion cannot
 * be replayed. msal-node reuses one assertion for every token request of a credential during its
 * ten-minute life (a second resource, say), so a replay is the same jti for the same resource:
 * a legitimate client never sends that, because it holds the hour-long token in its cache.
 *
 * The store decides, atomically across nodes: an assertion is accepted only by the node whose
 * insert-if-absent of its key wins, so the same assertion sent to two nodes at once is accepted
 * once. Memory only remembers what the store already holds, to refuse a replay without a store
 * round trip; it never answers "not seen" (a key absent from memory is asked of the store), so
 * evicting it from the bounded LRU is harmless. Stored entries outlive a restart and are swept
 * once expired.
 */
export class ReplayCache {
  readonly #seen: LRUCache<string, number>;
  readonly #store: Store | undefined;

  constructor(store?: Store, max = 100_000) {
    this.#store = store;
    this.#seen = new LRUCache<string, number>({ max });
  }

  /** Loads the entries still live (the fast path for replays) and drops the expired ones from the store. */
  async load(now = Math.floor(Date.now() / 1000)): Promise<void> {
    await this.sweep(now, true);
  }

  /** Deletes expired entries from the store (run periodically); with `remember`, keeps the live ones in memory. */
  async sweep(now = Math.floor(Date.now() / 1000), remember = false): Promise<number> {
    if (!this.#store) return 0;
    let dropped = 0;
    for (const e of await this.#store.list<SeenAssertion>(KIND.assertionJti)) {
      if (e.until > now) {
        if (remember) this.#remember(e.key, e.until, now);
      } else if (await this.#store.delete(KIND.assertionJti, e.key)) {
        dropped++;
      }
    }
    return dropped;
  }

  /** Returns false if this (client, jti, resource) was already used, on this node or any other. */
  async claim(clientId: string, jti: string, resource: string, exp: number, now = Math.floor(Date.now() / 1000)): Promise<boolean> {
    const key = `${clientId}|${jti}|${resource.toLowerCase()}`;
    const known = this.#seen.get(key);
    if (known !== undefined && known > now) return false;
    const until = Math.ceil(exp) + REPLAY_SKEW_S;
    if (!(await this.#claimInStore(key, until, now))) {
      this.#remember(key, until, now);
      return false;
    }
    this.#remember(key, until, now);
    return true;
  }

  async #claimInStore(key: string, until: number, now: number): Promise<boolean> {
    const store = this.#store;
    if (!store) return true;
    const entry: SeenAssertion = { key, until };
    if (await store.insertIfAbsent(KIND.assertionJti, key, entry)) return true;
    // Present: a live entry is a replay; an expired one (not swept yet) is taken over by
    // compare-and-swap, so that here too only one node wins.
    const held = await store.getVersioned<SeenAssertion>(KIND.assertionJti, key);
    if (!held) return store.insertIfAbsent(KIND.assertionJti, key, entry);
    if (held.doc.until > now) return false;
    return store.replaceIf(KIND.assertionJti, key, held.revision, entry);
  }

  get size(): number {
    return this.#seen.size;
  }

  #remember(key: string, until: number, now: number): void {
    this.#seen.set(key, until, { ttl: Math.max(1, until - now) * 1000 });
  }
}
