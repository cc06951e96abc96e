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
  /** All documents of a kind, optionally only those with the given parent id. */
  list<T>(kind: string, parent?: string): Promise<T[]>;
  put<T>(kind: string, id: string, doc: T, parent?: string): Promise<void>;
  /** Returns whether a document was removed. */
  delete(kind: string, id: string): Promise<boolean>;
  /** Runs `fn` atomically: either every write in it lands, or none does. */
  transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}
