/**
 * Store latency and errors, measured by wrapping the Store: the pieces above keep calling the
 * same interface, and every implementation (SQLite, PostgreSQL) is measured the same way.
 * Store calls are control-plane work (records, keys, assignments), not per message.
 */
import { performance } from 'node:perf_hooks';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ChangeFeed, Store, Versioned } from '../store/index.ts';

type Op = 'get' | 'getVersioned' | 'list' | 'put' | 'insertIfAbsent' | 'replaceIf' | 'delete' | 'transaction';

export class StoreMetrics {
  readonly #duration: Histogram<'op'>;
  readonly #errors: Counter<'op'>;

  constructor(registry: Registry) {
    this.#duration = new Histogram({
      name: 'lapis_store_operation_duration_seconds',
      help: 'Time a store operation took (errors included), by operation; a transaction counts once, and its inner operations count as themselves.',
      labelNames: ['op'], registers: [registry],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    });
    this.#errors = new Counter({
      name: 'lapis_store_errors_total',
      help: 'Store operations that failed (threw), by operation.',
      labelNames: ['op'], registers: [registry],
    });
  }

  /** The same store, measured. */
  instrument(store: Store): Store {
    return new InstrumentedStore(store, this);
  }

  async measure<R>(op: Op, run: () => Promise<R>): Promise<R> {
    const started = performance.now();
    try {
      return await run();
    } catch (err) {
      this.#errors.inc({ op });
      throw err;
    } finally {
      this.#duration.observe({ op }, (performance.now() - started) / 1000);
    }
  }
}

class InstrumentedStore implements Store {
  readonly #inner: Store;
  readonly #m: StoreMetrics;

  constructor(inner: Store, metrics: StoreMetrics) {
    this.#inner = inner;
    this.#m = metrics;
  }

  get changes(): ChangeFeed {
    return this.#inner.changes;
  }

  get<T>(kind: string, id: string): Promise<T | undefined> {
    return this.#m.measure('get', () => this.#inner.get<T>(kind, id));
  }

  getVersioned<T>(kind: string, id: string): Promise<Versioned<T> | undefined> {
    return this.#m.measure('getVersioned', () => this.#inner.getVersioned<T>(kind, id));
  }

  list<T>(kind: string, parent?: string): Promise<T[]> {
    return this.#m.measure('list', () => this.#inner.list<T>(kind, parent));
  }

  put<T>(kind: string, id: string, doc: T, parent?: string): Promise<void> {
    return this.#m.measure('put', () => this.#inner.put(kind, id, doc, parent));
  }

  insertIfAbsent<T>(kind: string, id: string, doc: T, parent?: string): Promise<boolean> {
    return this.#m.measure('insertIfAbsent', () => this.#inner.insertIfAbsent(kind, id, doc, parent));
  }

  replaceIf<T>(kind: string, id: string, revision: number, doc: T, parent?: string): Promise<boolean> {
    return this.#m.measure('replaceIf', () => this.#inner.replaceIf(kind, id, revision, doc, parent));
  }

  delete(kind: string, id: string): Promise<boolean> {
    return this.#m.measure('delete', () => this.#inner.delete(kind, id));
  }

  /** The transaction's own store is measured too, so operations inside it are counted. */
  transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R> {
    return this.#m.measure('transaction', () => this.#inner.transaction((tx) => fn(new InstrumentedStore(tx, this.#m))));
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
