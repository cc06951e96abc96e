import { LRUCache } from 'lru-cache';

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
  /** Keys tracked at once; the least recently used are forgotten first. */
  maxTracked: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { threshold: 10, durationSeconds: 60, maxDurationSeconds: 3600, maxTracked: 50_000 };

interface Entry {
  failures: number;
  /** Epoch ms until which the key is locked (0: not locked). */
  lockedUntil: number;
  /** Lockouts so far: the next period is durationSeconds × 2^lockouts. */
  lockouts: number;
}

/** A key with no failure for this long is forgotten, so lockout periods stop growing. */
const FORGET_AFTER_MS = 24 * 3600_000;

export class SmartLockout {
  readonly policy: LockoutPolicy;
  readonly #entries: LRUCache<string, Entry>;

  constructor(policy: Partial<LockoutPolicy> = {}) {
    this.policy = { ...DEFAULT_LOCKOUT, ...policy };
    this.#entries = new LRUCache<string, Entry>({ max: this.policy.maxTracked, ttl: FORGET_AFTER_MS, updateAgeOnGet: false });
  }

  /** Seconds left in a lockout of `key`, or 0 when it may sign in. */
  lockedFor(key: string, now = Date.now()): number {
    const e = this.#entries.get(key);
    return e && e.lockedUntil > now ? Math.ceil((e.lockedUntil - now) / 1000) : 0;
  }

  /** Records a failed sign-in; returns the seconds of the lockout it started, or 0. */
  failed(key: string, now = Date.now()): number {
    const e = this.#entries.get(key) ?? { failures: 0, lockedUntil: 0, lockouts: 0 };
    // After a lockout ends, one more failure locks again (Entra's behaviour), for longer.
    const threshold = e.lockouts > 0 ? 1 : this.policy.threshold;
    e.failures += 1;
    let seconds = 0;
    if (e.failures >= threshold) {
      seconds = Math.min(this.policy.maxDurationSeconds, this.policy.durationSeconds * 2 ** Math.min(e.lockouts, 30));
      e.lockedUntil = now + seconds * 1000;
      e.lockouts += 1;
      e.failures = 0;
    }
    this.#entries.set(key, e);
    return seconds;
  }

  succeeded(key: string): void {
    this.#entries.delete(key);
  }

  get tracked(): number {
    return this.#entries.size;
  }
}
