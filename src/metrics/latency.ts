/**
 * A latency histogram kept as plain numbers, for code that reports through a `stats()` snapshot
 * rather than through a registry (the backplane): `observe` is a short scan over fixed bounds and
 * two additions, and `snapshot()` copies the counts for the scrape.
 */

/** Upper bounds in seconds, for calls that normally take well under a millisecond to tens of ms. */
export const DEFAULT_LATENCY_BOUNDS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface LatencySnapshot {
  /** Upper bounds (seconds), ascending. */
  bounds: readonly number[];
  /** Observations per bucket, not cumulative: `counts[i]` fell in (bounds[i-1], bounds[i]]; the last entry (index bounds.length) is above every bound. */
  counts: readonly number[];
  /** Sum of all observations (seconds). */
  sum: number;
  count: number;
}

export class LatencyRecorder {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[] = DEFAULT_LATENCY_BOUNDS) {
    this.#bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(seconds: number): void {
    let i = 0;
    while (i < this.#bounds.length && seconds > this.#bounds[i]!) i++;
    this.#counts[i]!++;
    this.#sum += seconds;
    this.#count++;
  }

  /** Observations so far. */
  get count(): number {
    return this.#count;
  }

  snapshot(): LatencySnapshot {
    return { bounds: this.#bounds, counts: [...this.#counts], sum: this.#sum, count: this.#count };
  }
}

/** An empty snapshot (a backplane with nothing to time, like the in-process one). */
export function emptyLatency(bounds: readonly number[] = DEFAULT_LATENCY_BOUNDS): LatencySnapshot {
  return { bounds, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}
