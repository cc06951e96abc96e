/**
 * The store holds Lapis's durable control-plane state as JSON documents grouped by kind.
 * It is deliberately narrow: every piece keeps its own typed records and in-memory indexes
 * on top, so the embedded (SQLite) and clustered (PostgreSQL) variants are swaps.
 *
 * Ids are compared exactly; callers that need case-insensitive ids (ARM ids, hub names)
 * normalise them before calling.
 */
export interface Store {
  get<T>(kind: string, id: string): Promise<T | undefined>;
  /** A document with its revision, for a later `replaceIf`. */
  getVersioned<T>(kind: string, id: string): Promise<Versioned<T> | undefined>;
  /** All documents of a kind, optionally only those with the given parent id. */
  list<T>(kind: string, parent?: string): Promise<T[]>;
  put<T>(kind: string, id: string, doc: T, parent?: string): Promise<void>;
  /** Writes only when no document of that kind and id exists; returns whether it wrote (atomic across nodes). */
  insertIfAbsent<T>(kind: string, id: string, doc: T, parent?: string): Promise<boolean>;
  /**
   * Compare-and-swap: replaces the document only if its revision is still `revision` (from
   * `getVersioned`); returns whether it did. A caller that loses retries from a fresh read.
   */
  replaceIf<T>(kind: string, id: string, revision: number, doc: T, parent?: string): Promise<boolean>;
  /** Returns whether a document was removed. */
  delete(kind: string, id: string): Promise<boolean>;
  /**
   * Runs `fn` atomically: either every write in it lands, or none does. Calls made through `tx`
   * are inside the transaction; calls made through the store itself by other callers are not
   * (they wait or run on another connection), so concurrent transactions never share one.
   */
  transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R>;
  /** Every committed write, made through this store or (in cluster mode) any other node's. */
  readonly changes: ChangeFeed;
  close(): Promise<void>;
}

export interface Versioned<T> {
  doc: T;
  /** Increases with every write of that document; starts at 1. */
  revision: number;
}

/** One committed write. Listeners re-read what they need: the feed carries keys, never documents. */
export interface StoreChange {
  op: 'put' | 'delete';
  kind: string;
  id: string;
  parent?: string;
}

export type ChangeListener = (change: StoreChange) => void;

/**
 * Committed writes, delivered after commit to every subscriber on every node that shares the
 * store, including the node that wrote (caches can treat every change the same way). Changes made
 * in a transaction are delivered once it commits, and not at all if it rolls back.
 *
 * A listener that throws is logged and does not stop delivery to the others.
 */
export interface ChangeFeed {
  /** Subscribes to changes of the given kinds (all kinds when omitted). Returns the unsubscribe function. */
  subscribe(listener: ChangeListener, kinds?: readonly string[]): () => void;
  /**
   * Called when this node may have missed changes (the feed's connection was lost and came back):
   * caches reload everything they hold. Returns the unsubscribe function.
   */
  onResync(listener: () => void): () => void;
}
