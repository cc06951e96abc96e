/**
 * Log lines for failed deliveries, each with its catalogue code (docs/upstream.md "Errors").
 * Refusals for want of room come in floods under load, so those are written at most once a
 * second, with how many happened since the last line.
 */
import type { Logger } from 'pino';
import { upstreamCodeOf } from './errors.ts';

/** Counts occurrences and says when one may be logged (at most once per interval). */
export class LogThrottle {
  readonly #intervalMs: number;
  #loggedAt = 0;
  #since = 0;

  constructor(intervalMs = 1000) {
    this.#intervalMs = intervalMs;
  }

  /** The number to report (occurrences since the last line), or undefined to stay quiet. */
  hit(now = Date.now()): number | undefined {
    this.#since++;
    if (now - this.#loggedAt < this.#intervalMs) return undefined;
    this.#loggedAt = now;
    const n = this.#since;
    this.#since = 0;
    return n;
  }
}

export class FailureLog {
  readonly #log: Logger;
  readonly #resource: string;
  readonly #queueFull = new LogThrottle();

  constructor(log: Logger, resource: string) {
    this.#log = log;
    this.#resource = resource;
  }

  failed(err: unknown, where: { hub: string; handler: number; event: string }): void {
    const code = upstreamCodeOf(err);
    if (code === undefined) {
      this.#log.error({ err, ...where }, 'event delivery failed');
      return;
    }
    let refused: number | undefined;
    if (code === 'UpstreamQueueFull') {
      refused = this.#queueFull.hit();
      if (refused === undefined) return;
    }
    this.#log.warn({ resource: this.#resource, ...where, code, reason: (err as Error).message, ...(refused ? { refused } : {}) }, 'event delivery failed');
  }
}
