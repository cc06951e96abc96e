import type { Store } from '../store/index.ts';

/** Where a failed re-read triggered by the change feed is reported (the next change or resync retries it). */
export type FollowerErrorLog = (err: unknown, what: string) => void;

/**
 * Keeps an in-memory view of some store kinds in step with the store's change feed, so that a
 * write made through any node is seen by every node. The feed carries keys only: each change is
 * answered by re-reading that one document and handing it (or `undefined` when it is gone) to
 * `apply`. The node's own writes come back through the feed too; re-reading is idempotent.
 *
 * Re-reads of one record may finish out of order (a pool of connections), so each carries a
 * sequence number and only the newest one for that record is applied: it started after the last
 * change arrived, so what it read is at least as new as that change.
 */
export class RecordFollower {
  readonly #store: Store;
  readonly #kinds: readonly string[];
  readonly #apply: (kind: string, id: string, doc: unknown) => void;
  readonly #reloadAll: () => Promise<void>;
  readonly #onError: FollowerErrorLog;
  #seq = 0;
  /** The newest re-read in flight per record; removed once it has been applied. */
  readonly #latest = new Map<string, { seq: number; done: Promise<void> }>();
  /** Records changed while a full reload runs: the reload's listing may predate them. */
  #changedDuringReload: Set<string> | undefined;
  #reloadRun: Promise<void> | undefined;
  #reloadAgain = false;
  #unsubscribe: (() => void)[] = [];

  constructor(opts: {
    store: Store;
    kinds: readonly string[];
    apply: (kind: string, id: string, doc: unknown) => void;
    reloadAll: () => Promise<void>;
    onError?: FollowerErrorLog;
  }) {
    this.#store = opts.store;
    this.#kinds = opts.kinds;
    this.#apply = opts.apply;
    this.#reloadAll = opts.reloadAll;
    this.#onError = opts.onError ?? (() => {});
  }

  /** Loads everything, then follows the feed (idempotent). */
  async start(): Promise<void> {
    if (this.#unsubscribe.length === 0) {
      // Subscribe first, so that nothing committed between the listing and the subscription is missed.
      this.#unsubscribe.push(this.#store.changes.subscribe((c) => {
        if (c.op === 'delete') this.#drop(c.kind, c.id);
        else this.refresh(c.kind, c.id).catch((err: unknown) => this.#onError(err, `re-reading ${c.kind} ${c.id}`));
      }, this.#kinds));
      this.#unsubscribe.push(this.#store.changes.onResync(() => {
        this.reload().catch((err: unknown) => this.#onError(err, 'reloading after a resync'));
      }));
    }
    await this.reload();
  }

  stop(): void {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
  }

  /**
   * Re-reads one record and applies it. Resolves once the view holds a read at least as new as
   * this call, so a writer that awaits it reads its own write on this node.
   */
  async refresh(kind: string, id: string): Promise<void> {
    const key = `${kind}\u0000${id}`;
    this.#changedDuringReload?.add(key);
    const seq = ++this.#seq;
    const done = (async () => {
      try {
        const doc = await this.#store.get(kind, id);
        if (this.#latest.get(key)?.seq !== seq) return;   // a newer re-read will apply
        this.#latest.delete(key);
        this.#apply(kind, id, doc);
      } catch (err) {
        if (this.#latest.get(key)?.seq === seq) this.#latest.delete(key);
        throw err;
      }
    })();
    this.#latest.set(key, { seq, done });
    await done;
    // Superseded: wait for the newer re-read of the same record (its failure is its caller's to report).
    for (let next = this.#latest.get(key); next; next = this.#latest.get(key)) await next.done.catch(() => undefined);
  }

  /**
   * A delete needs no read: the record goes at once (a revoked credential is gone before the
   * deleting call returns), and re-reads still in flight for it are superseded.
   */
  #drop(kind: string, id: string): void {
    const key = `${kind}\u0000${id}`;
    this.#changedDuringReload?.add(key);
    this.#latest.delete(key);
    this.#apply(kind, id, undefined);
  }

  /** Reloads every record (start, resync); concurrent calls share one run, repeated if asked meanwhile. */
  reload(): Promise<void> {
    if (this.#reloadRun) {
      this.#reloadAgain = true;
      return this.#reloadRun;
    }
    this.#reloadRun = (async () => {
      try {
        do {
          this.#reloadAgain = false;
          await this.#reloadOnce();
        } while (this.#reloadAgain);
      } finally {
        this.#reloadRun = undefined;
      }
    })();
    return this.#reloadRun;
  }

  async #reloadOnce(): Promise<void> {
    const changed = new Set<string>();
    this.#changedDuringReload = changed;
    try {
      await this.#reloadAll();
    } finally {
      this.#changedDuringReload = undefined;
    }
    await Promise.all([...changed].map((key) => {
      const at = key.indexOf('\u0000');
      return this.refresh(key.slice(0, at), key.slice(at + 1));
    }));
  }
}
