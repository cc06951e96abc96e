import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Store } from '../store/index.ts';
import { KIND } from './model.ts';
import { updateDocument } from './optimistic-update.ts';
import { RecordFollower } from './record-follower.ts';

/**
 * Entra's smart lockout, per (tenant, user) for the password grant and per (tenant, client) for
 * client secrets and assertions: after `threshold` failed sign-ins in a row the key is locked for
 * `durationSeconds`; each further lockout (a failure right after one ends) doubles the period up to
 * `maxDurationSeconds`. While locked, the credential is not checked at all (no scrypt), so a
 * guesser cannot spend Lapis's CPU. A successful sign-in clears the key.
 */
export interface LockoutPolicy {
  /** Failed sign-ins that lock the key (Entra's default is 10). */
  threshold: number;
  /** First lockout period, in seconds (Entra's default is 60). */
  durationSeconds: number;
  /** Longest lockout period after repeated lockouts. */
  maxDurationSeconds: number;
  /** Keys tracked at once in memory; the least recently used are forgotten first. */
  maxTracked: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { threshold: 10, durationSeconds: 60, maxDurationSeconds: 3600, maxTracked: 50_000 };

interface Entry {
  /** The store id: a hash of the key. */
  id: string;
  failures: number;
  /** Epoch ms until which the key is locked (0: not locked). */
  lockedUntil: number;
  /** Lockouts so far: the next period is durationSeconds × 2^lockouts. */
  lockouts: number;
  /** Epoch ms of the last failure: an entry quiet for FORGET_AFTER_MS is forgotten. */
  lastFailure: number;
}

/** A key with no failure for this long is forgotten, so lockout periods stop growing. */
const FORGET_AFTER_MS = 24 * 3600_000;

/**
 * With a store, the counters are shared by every node on it: a failure is a compare-and-swap
 * increment of the stored entry (so failures on different nodes add up), and each node keeps a
 * copy of the entries in memory that follows the store's change feed. The success path reads
 * only memory, and writes (a delete) only when the key had failures.
 *
 * Stored entries are keyed by a hash of the key, so user names tried by a guesser do not sit in
 * the store as they were typed.
 */
export class SmartLockout {
  readonly policy: LockoutPolicy;
  readonly #entries: LRUCache<string, Entry>;
  readonly #store: Store | undefined;
  #follower: RecordFollower | undefined;

  constructor(policy: Partial<LockoutPolicy> = {}, store?: Store) {
    this.policy = { ...DEFAULT_LOCKOUT, ...policy };
    this.#entries = new LRUCache<string, Entry>({ max: this.policy.maxTracked, ttl: FORGET_AFTER_MS, updateAgeOnGet: false });
    this.#store = store;
  }

  /** Loads the stored entries and follows other nodes' changes to them (idempotent). */
  async start(onError: (err: unknown) => void = () => {}): Promise<void> {
    const store = this.#store;
    if (!store || this.#follower) return;
    this.#follower = new RecordFollower({
      store, kinds: [KIND.signInFailures], onError,
      apply: (_kind, id, doc) => this.#mirror(id, doc as Entry | undefined),
      reloadAll: () => this.#loadAll(store),
    });
    await this.#follower.start();
  }

  stop(): void {
    this.#follower?.stop();
    this.#follower = undefined;
  }

  /** Seconds left in a lockout of `key`, or 0 when it may sign in. Memory only. */
  lockedFor(key: string, now = Date.now()): number {
    const e = this.#entries.get(idOf(key));
    return e && e.lockedUntil > now ? Math.ceil((e.lockedUntil - now) / 1000) : 0;
  }

  /** Records a failed sign-in; returns the seconds of the lockout it started, or 0. */
  async failed(key: string, now = Date.now()): Promise<number> {
    const id = idOf(key);
    let seconds = 0;
    const count = (prior: Entry | undefined): Entry => {
      const e = prior && now - prior.lastFailure < FORGET_AFTER_MS ? { ...prior } : { id, failures: 0, lockedUntil: 0, lockouts: 0, lastFailure: now };
      // After a lockout ends, one more failure locks again (Entra's behaviour), for longer.
      const threshold = e.lockouts > 0 ? 1 : this.policy.threshold;
      e.failures += 1;
      e.lastFailure = now;
      seconds = 0;
      if (e.failures >= threshold) {
        seconds = Math.min(this.policy.maxDurationSeconds, this.policy.durationSeconds * 2 ** Math.min(e.lockouts, 30));
        e.lockedUntil = now + seconds * 1000;
        e.lockouts += 1;
        e.failures = 0;
      }
      return e;
    };
    if (this.#store) {
      const { doc } = await updateDocument<Entry>(this.#store, KIND.signInFailures, id, count);
      // Read back through the follower: a newer failure from another node must not be overwritten here.
      if (this.#follower) await this.#follower.refresh(KIND.signInFailures, id);
      else this.#mirror(id, doc);
    } else {
      this.#mirror(id, count(this.#entries.get(id)));
    }
    return seconds;
  }

  /** A successful sign-in clears the key; nothing is written when it had no failures. */
  async succeeded(key: string): Promise<void> {
    const id = idOf(key);
    if (!this.#entries.has(id)) return;
    this.#entries.delete(id);
    await this.#store?.delete(KIND.signInFailures, id);
  }

  /** Deletes stored entries quiet for the forget period (run periodically). */
  async sweep(now = Date.now()): Promise<number> {
    if (!this.#store) return 0;
    let dropped = 0;
    for (const e of await this.#store.list<Entry>(KIND.signInFailures)) {
      if (now - e.lastFailure >= FORGET_AFTER_MS && await this.#store.delete(KIND.signInFailures, e.id)) dropped++;
    }
    return dropped;
  }

  get tracked(): number {
    return this.#entries.size;
  }

  async #loadAll(store: Store): Promise<void> {
    const entries = await store.list<Entry>(KIND.signInFailures);
    this.#entries.clear();
    for (const e of entries) this.#mirror(e.id, e);
  }

  /** Holds an entry as stored (an old one is harmless: its lockout is over, and `failed` starts it afresh). */
  #mirror(id: string, e: Entry | undefined): void {
    if (e) this.#entries.set(id, e);
    else this.#entries.delete(id);
  }
}

/**
 * Recent keys' ids, so a busy client's sign-ins (checked, then cleared) hash its key once, not
 * twice per token. Memory only, and cleared whole when full: what it holds is what the requests
 * named anyway.
 */
const recentIds = new Map<string, string>();

function idOf(key: string): string {
  let id = recentIds.get(key);
  if (id === undefined) {
    if (recentIds.size >= 1024) recentIds.clear();
    id = createHash('sha256').update(key).digest('base64url');
    recentIds.set(key, id);
  }
  return id;
}
