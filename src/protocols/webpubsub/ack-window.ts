/**
 * The ackIds a connection has had processed, remembered for a time window (as the service's
 * dedupe does), not for ever: a client that retries resends within seconds, and a connection that
 * lives for days must not accumulate every id it ever used.
 *
 * Two time buckets rotate lazily (no timers): an id is remembered for between `windowMs / 2` and
 * `windowMs`. Each bucket is also capped, so a flood inside one window cannot grow memory without
 * bound: a full bucket rotates early (the flood then only shortens its own dedupe window).
 */
export const ACK_WINDOW_MS = 5 * 60_000;
export const MAX_ACKS_PER_BUCKET = 5_000;

export class AckWindow {
  readonly #halfWindowMs: number;
  readonly #maxPerBucket: number;
  readonly #now: () => number;
  #current: Set<number> | undefined;
  #previous: Set<number> | undefined;
  #rotatedAt: number;

  constructor(windowMs = ACK_WINDOW_MS, maxPerBucket = MAX_ACKS_PER_BUCKET, now: () => number = Date.now) {
    this.#halfWindowMs = windowMs / 2;
    this.#maxPerBucket = maxPerBucket;
    this.#now = now;
    this.#rotatedAt = now();
  }

  has(ackId: number): boolean {
    this.#rotate();
    return this.#current?.has(ackId) === true || this.#previous?.has(ackId) === true;
  }

  add(ackId: number): void {
    this.#rotate();
    if (this.#current && this.#current.size >= this.#maxPerBucket) this.#shift();
    (this.#current ??= new Set()).add(ackId);
  }

  /** Ids held right now (for tests and diagnostics). */
  get size(): number {
    return (this.#current?.size ?? 0) + (this.#previous?.size ?? 0);
  }

  #rotate(): void {
    const elapsed = this.#now() - this.#rotatedAt;
    if (elapsed < this.#halfWindowMs) return;
    if (elapsed >= 2 * this.#halfWindowMs) {
      // Both buckets are older than the window.
      this.#current = undefined;
      this.#previous = undefined;
      this.#rotatedAt = this.#now();
      return;
    }
    this.#shift();
  }

  #shift(): void {
    this.#previous = this.#current;
    this.#current = undefined;
    this.#rotatedAt = this.#now();
  }
}
