import type { ChangeFeed, ChangeListener, StoreChange } from './types.ts';

interface Subscription { listener: ChangeListener; kinds?: ReadonlySet<string> }

/**
 * The in-process half of every change feed: subscribers and delivery. The SQLite store emits into
 * it after each commit; the PostgreSQL store emits what LISTEN/NOTIFY brings from every node.
 */
export class LocalChangeFeed implements ChangeFeed {
  readonly #subs = new Set<Subscription>();
  readonly #resync = new Set<() => void>();
  readonly #onError: (err: unknown, change?: StoreChange) => void;

  constructor(onError: (err: unknown, change?: StoreChange) => void = () => {}) {
    this.#onError = onError;
  }

  subscribe(listener: ChangeListener, kinds?: readonly string[]): () => void {
    const sub: Subscription = { listener, kinds: kinds ? new Set(kinds) : undefined };
    this.#subs.add(sub);
    return () => { this.#subs.delete(sub); };
  }

  onResync(listener: () => void): () => void {
    this.#resync.add(listener);
    return () => { this.#resync.delete(listener); };
  }

  emit(change: StoreChange): void {
    for (const sub of this.#subs) {
      if (sub.kinds && !sub.kinds.has(change.kind)) continue;
      try {
        sub.listener(change);
      } catch (err) {
        this.#onError(err, change);
      }
    }
  }

  emitResync(): void {
    for (const listener of this.#resync) {
      try {
        listener();
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}
