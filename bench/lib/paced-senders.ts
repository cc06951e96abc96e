/**
 * The latency rows' senders (Azure's rule: 2 KB messages, one message per second per sender) and
 * the percentiles of what the receivers measured. Shared by the single-node and the cluster runs.
 */
import { payloadOf, publishFrame } from './contestants.ts';
import type { Kind } from './contestants.ts';

interface Sender {
  send(frame: Buffer): boolean;
}

/** One sender per group, sending a stamped 2 KB message once a second; the phases spread evenly over the second. */
export class PacedSenders {
  /** Messages sent while counting. */
  sends = 0;
  counting = false;
  readonly #timer: NodeJS.Timeout;

  constructor(kind: Kind, publishers: { conns: Sender[] }, groups: string[]) {
    const G = groups.length;
    const start = performance.now();
    const due = groups.map((_, j) => start + (1000 * j) / G);
    let order = 0;
    this.#timer = setInterval(() => {
      const now = performance.now();
      const conns = publishers.conns;
      // Senders are due in index order (phases increase with j), so one pointer walks them.
      while (due[order]! <= now) {
        const j = order;
        const stamp = process.hrtime.bigint() / 1000n;
        conns[j]!.send(publishFrame(kind, groups[j]!, payloadOf(2048, stamp)));
        if (this.counting) this.sends++;
        due[j]! += 1000;
        order = (order + 1) % G;
      }
    }, 1);
  }

  stop(): void {
    this.counting = false;
    clearInterval(this.#timer);
  }
}

export interface LatencyStats {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

/** Percentiles (ms) of latency samples in µs. */
export function latencyStats(samplesUs: number[]): LatencyStats {
  const all = [...samplesUs].sort((a, b) => a - b);
  const q = (f: number) => (all.length ? all[Math.min(all.length - 1, Math.floor(f * all.length))]! / 1000 : Number.NaN);
  return { p50Ms: q(0.5), p99Ms: q(0.99), maxMs: all.length ? all[all.length - 1]! / 1000 : Number.NaN, samples: all.length };
}
