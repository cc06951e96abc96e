/**
 * Requests in flight: each waits for a known set of nodes and settles when all of them answered,
 * when the ones still silent are found dead, or when its timeout passes, whichever comes first.
 * It never rejects: the outcome lists the nodes that did not answer.
 */
import type { CommandResult } from '../../messaging/commands.ts';
import type { RequestOutcome } from '../types.ts';

interface Pending {
  waiting: Set<string>;
  /** Nodes found dead while waiting (reported as unanswered). */
  gone: string[];
  results: CommandResult[];
  resolve(outcome: RequestOutcome): void;
  timer: NodeJS.Timeout;
}

export class PendingRequests {
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  readonly #onTimeout: (unanswered: string[]) => void;

  constructor(onTimeout: (unanswered: string[]) => void) {
    this.#onTimeout = onTimeout;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Starts waiting for `nodes`; `results` already holds the local answers. */
  open(nodes: readonly string[], results: CommandResult[], timeoutMs: number): { id: number; done: Promise<RequestOutcome> } {
    const id = this.#nextId;
    this.#nextId = this.#nextId >= Number.MAX_SAFE_INTEGER ? 1 : this.#nextId + 1;
    const done = new Promise<RequestOutcome>((resolve) => {
      const timer = setTimeout(() => {
        const p = this.#pending.get(id);
        if (!p) return;
        this.#onTimeout([...p.waiting]);
        this.#finish(id, p);
      }, timeoutMs);
      timer.unref();
      this.#pending.set(id, { waiting: new Set(nodes), gone: [], results, resolve, timer });
    });
    return { id, done };
  }

  /** An answer; ignored unless it is the first from a node this request waits for. */
  answer(id: number, from: string, results: CommandResult[]): void {
    const p = this.#pending.get(id);
    if (!p || !p.waiting.delete(from)) return;
    p.results.push(...results);
    if (p.waiting.size === 0) this.#finish(id, p);
  }

  /** Stops waiting for one node (its request could not be sent): it is reported unanswered. */
  giveUp(id: number, node: string): void {
    const p = this.#pending.get(id);
    if (!p || !p.waiting.delete(node)) return;
    p.gone.push(node);
    if (p.waiting.size === 0) this.#finish(id, p);
  }

  /** Nodes no longer live: nobody waits for them any more. */
  forgetDead(live: ReadonlySet<string>): void {
    for (const [id, p] of this.#pending) {
      for (const n of p.waiting) {
        if (live.has(n)) continue;
        p.waiting.delete(n);
        p.gone.push(n);
      }
      if (p.waiting.size === 0) this.#finish(id, p);
    }
  }

  /** Settles everything now (shutdown): silent nodes are reported unanswered. */
  settleAll(): void {
    for (const [id, p] of this.#pending) this.#finish(id, p);
  }

  #finish(id: number, p: Pending): void {
    clearTimeout(p.timer);
    this.#pending.delete(id);
    p.resolve({ results: p.results, unanswered: [...p.gone, ...p.waiting] });
  }
}
