/**
 * The part every in-memory cache over the store shares: following the change feed. A cache names
 * the kinds it holds and how to apply one document (or its absence); the follower re-reads each
 * changed document, drops deleted ones at once (no read needed, so a revoked grant is gone before
 * the deleting call returns on this node), and reloads everything on resync.
 *
 * Ordering: every change of a key bumps that key's generation; a re-read is applied only if no
 * newer change of that key arrived meanwhile (the newer one's re-read will apply instead), so
 * reads that finish out of order never put an older document back. A full reload skips keys that
 * changed while it was listing. The cache's own writes arrive through the feed too: `apply` must
 * be idempotent (applying what is already held changes nothing and fires nothing).
 */
import type { Store, StoreChange } from './types.ts';

export interface FollowHandlers {
  /** The document as now stored (raw, as written), or undefined when it is gone. Idempotent. */
  apply(kind: string, id: string, doc: unknown): void;
  /** Ids of `kind` the cache holds now: those a full reload no longer finds are dropped. */
  heldIds(kind: string): Iterable<string>;
  /** The store id of a listed document (lists carry documents, not ids). */
  idOf(kind: string, doc: Record<string, unknown>): string;
  /** Only changes with this parent (e.g. the secrets of one vault); all when undefined. */
  parent?: string | undefined;
  /** A re-read failed (the store was unreachable): logged; the next change or resync repairs it. */
  onError?(err: unknown, change?: StoreChange): void;
}

export class ChangeFollower {
  readonly #store: Store;
  readonly #kinds: readonly string[];
  readonly #h: FollowHandlers;
  readonly #gen = new Map<string, number>();
  /** Bumped by every full reload: single re-reads started before it are stale. */
  #epoch = 0;
  #reloading: Promise<unknown> = Promise.resolve();
  readonly #pending = new Set<Promise<void>>();
  /** The latest re-read of each key, while it runs. */
  readonly #pendingByKey = new Map<string, Promise<void>>();
  readonly #unsubscribe: (() => void)[] = [];
  #closed = false;

  constructor(store: Store, kinds: readonly string[], handlers: FollowHandlers) {
    this.#store = store;
    this.#kinds = kinds;
    this.#h = handlers;
    this.#unsubscribe.push(store.changes.subscribe((c) => this.#onChange(c), kinds));
    this.#unsubscribe.push(store.changes.onResync(() => this.#track(this.reload().catch((err: unknown) => this.#h.onError?.(err)))));
  }

  /**
   * Loads (or reloads) every document of the followed kinds; reloads run one at a time. Errors
   * from `apply` propagate (a first load must fail loudly, e.g. a secret sealed under another key).
   */
  reload(): Promise<void> {
    const run = this.#reloading.then(() => this.#reloadOnce());
    this.#reloading = run.catch(() => undefined);
    return run;
  }

  async #reloadOnce(): Promise<void> {
    ++this.#epoch;
    for (const kind of this.#kinds) {
      const listedAt = new Map<string, number>();
      for (const id of this.#h.heldIds(kind)) listedAt.set(id, this.generation(kind, id));
      const prefix = `${kind}\n`;
      for (const [k, g] of this.#gen) if (k.startsWith(prefix)) listedAt.set(k.slice(prefix.length), g);
      const docs = await this.#store.list<Record<string, unknown>>(kind, this.#h.parent);
      if (this.#closed) return;
      const seen = new Set<string>();
      const skipped: string[] = [];
      for (const doc of docs) {
        const id = this.#h.idOf(kind, doc);
        seen.add(id);
        // Changed while listing: that change's own re-read applies the newer document.
        if (this.generation(kind, id) !== (listedAt.get(id) ?? 0)) {
          skipped.push(id);
          continue;
        }
        this.#h.apply(kind, id, doc);
      }
      for (const [id, gen] of listedAt) {
        if (!seen.has(id) && this.generation(kind, id) === gen) this.#h.apply(kind, id, undefined);
      }
      // Answer with those re-reads done: right after a load, every listed record is held.
      await Promise.all(skipped.map((id) => this.settledKey(kind, id)));
    }
  }

  /** How many changes of this key were seen; a writer compares before and after its write. */
  generation(kind: string, id: string): number {
    return this.#gen.get(`${kind}\n${id}`) ?? 0;
  }

  /**
   * For a writer that applies its own write at once (read-your-writes even when the feed is
   * slow): true unless a change of the key other than its own arrived since `before`, in which
   * case the newer change's re-read applies and the writer must not put its older document back.
   */
  mayApplyOwnWrite(kind: string, id: string, before: number): boolean {
    return this.generation(kind, id) - before <= 1;
  }

  /**
   * Resolves when the re-read of this key started by the latest change (if one runs) is done. A
   * writer awaits it before answering: other nodes got the same change at the same moment and
   * re-read it alongside, so by the time the caller can act on the answer, they apply it too.
   */
  async settledKey(kind: string, id: string): Promise<void> {
    await this.#pendingByKey.get(`${kind}\n${id}`);
  }

  /** Resolves when every re-read started so far has been applied (tests, orderly stop). */
  async settled(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  close(): void {
    this.#closed = true;
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  #onChange(change: StoreChange): void {
    if (this.#closed) return;
    if (this.#h.parent !== undefined && change.parent !== this.#h.parent && change.op === 'put') return;
    const key = `${change.kind}\n${change.id}`;
    const gen = (this.#gen.get(key) ?? 0) + 1;
    this.#gen.set(key, gen);
    if (change.op === 'delete') {
      // Deletes carry no parent: the cache ignores ids it does not hold.
      this.#h.apply(change.kind, change.id, undefined);
      return;
    }
    const epoch = this.#epoch;
    const reread = (async () => {
      try {
        const doc = await this.#store.get<unknown>(change.kind, change.id);
        if (this.#closed || this.#gen.get(key) !== gen || this.#epoch !== epoch) return;
        this.#h.apply(change.kind, change.id, doc);
      } catch (err) {
        this.#h.onError?.(err, change);
      }
    })();
    this.#pendingByKey.set(key, reread);
    void reread.finally(() => { if (this.#pendingByKey.get(key) === reread) this.#pendingByKey.delete(key); });
    this.#track(reread);
  }

  #track(p: Promise<void>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }
}

/** Compares two documents by content, whatever their key order (PostgreSQL's jsonb reorders keys). */
export function sameDocument(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
    }
    return value;
  }) ?? 'undefined';
}
