import { sameDocument, type Store } from '../store/index.ts';

/** Attempts before an update that keeps losing to other writers gives up (each loss means another write landed). */
const MAX_ATTEMPTS = 25;

export class UpdateConflict extends Error {
  constructor(kind: string, id: string) {
    super(`${kind} ${id} kept changing under concurrent writers; the update was not applied`);
  }
}

export interface UpdateResult<T> {
  /** The document as written, or as found when `compute` chose not to write. */
  doc: T | undefined;
  wrote: boolean;
}

/**
 * Read-modify-write of one document that two nodes cannot both win: `compute` sees the document
 * as stored now (not a cached copy) and returns the next version, or `undefined` to leave it as
 * it is; the write is a compare-and-swap on the revision read (an insert-if-absent for a new
 * document), retried from a fresh read when another writer got there first. `alsoWrite` adds
 * writes that must land in the same transaction (a service principal with its application).
 * A document that would not change is not written (nor are the `alsoWrite` writes).
 *
 * `compute` may run more than once and must have no side effects.
 */
export async function updateDocument<T>(
  store: Store,
  kind: string,
  id: string,
  compute: (prior: T | undefined) => Promise<T | undefined> | T | undefined,
  opts: { parent?: (doc: T) => string | undefined; alsoWrite?: (tx: Store, doc: T, prior: T | undefined) => Promise<void> } = {},
): Promise<UpdateResult<T>> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await store.getVersioned<T>(kind, id);
    const next = await compute(current?.doc);
    if (next === undefined) return { doc: current?.doc, wrote: false };
    // Unchanged (every node re-applying the same config at start): no write, no change for every node to re-read.
    if (current && sameDocument(current.doc, next)) return { doc: current.doc, wrote: false };
    const parent = opts.parent?.(next);
    const swap = (s: Store) => current
      ? s.replaceIf(kind, id, current.revision, next, parent)
      : s.insertIfAbsent(kind, id, next, parent);
    const also = opts.alsoWrite;
    const won = also
      ? await store.transaction(async (tx) => {
        if (!(await swap(tx))) return false;
        await also(tx, next, current?.doc);
        return true;
      })
      : await swap(store);
    if (won) return { doc: next, wrote: true };
  }
  throw new UpdateConflict(kind, id);
}
