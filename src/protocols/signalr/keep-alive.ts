/**
 * One timer for all SignalR sessions of an endpoint, instead of three timers per connection: once
 * a second it gives every session the time, and each session decides whether its handshake is
 * overdue, a keep-alive Ping is due, or its client went silent.
 */
export interface Ticking {
  tick(now: number): void;
}

export class KeepAliveClock {
  readonly #sessions = new Set<Ticking>();
  readonly #timer: NodeJS.Timeout;
  #now = Date.now();

  constructor(periodMs = 1_000) {
    this.#timer = setInterval(() => this.#tick(), periodMs);
    this.#timer.unref();
  }

  /** A coarse clock (updated once per period): good enough for timeouts of seconds, and free. */
  get now(): number {
    return this.#now;
  }

  add(s: Ticking): void {
    this.#sessions.add(s);
  }

  delete(s: Ticking): void {
    this.#sessions.delete(s);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#sessions.clear();
  }

  #tick(): void {
    this.#now = Date.now();
    // A session may end (and delete itself) during its tick; iterate over a snapshot.
    for (const s of [...this.#sessions]) s.tick(this.#now);
  }
}
