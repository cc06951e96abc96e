import { ChangeFollower, sameDocument, type Store } from '../store/index.ts';

/** How a record is kept at rest: secrets sealed when stored, opened when read (plaintext from older data directories passes). */
export interface RecordCodec<T> {
  toStored(record: T, id: string): T;
  fromStored(doc: T, id: string): T;
}

/** Told once per node when a record appears, changes or goes, whichever node wrote it. */
export interface RecordEvents<T> {
  added?(record: T): void;
  changed?(record: T, before: T): void;
  removed?(record: T): void;
}

export interface NamedRecordsOptions<T> {
  codec?: RecordCodec<T> | undefined;
  /** Runs inside the transaction that deletes a record (e.g. releasing its name). */
  onDelete?: ((tx: Store, name: string) => Promise<void>) | undefined;
  onError?: ((err: unknown) => void) | undefined;
}

/** A compare-and-swap lost to another writer: read again and retry. */
const MAX_ATTEMPTS = 32;
/** A short random pause before a retry, so writers that collided do not collide again in step. */
const backoff = (attempt: number) => new Promise<void>((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));

/**
 * One kind of record by case-insensitive name: held in memory (secrets opened), stored with
 * secrets sealed, and following the store's change feed, so a write through any node is what
 * every node reads. Read-modify-write goes through `update` (compare-and-swap on the record's
 * revision), so two nodes changing one record at once both land.
 */
export class NamedRecords<T extends { name: string }> {
  readonly #store: Store;
  readonly #kind: string;
  readonly #byName = new Map<string, T>();
  readonly #codec: RecordCodec<T>;
  readonly #onDelete: NamedRecordsOptions<T>['onDelete'];
  readonly #listeners = new Set<RecordEvents<T>>();
  readonly #follower: ChangeFollower;
  readonly #onError: (err: unknown) => void;

  constructor(store: Store, kind: string, opts: NamedRecordsOptions<T> = {}) {
    this.#store = store;
    this.#kind = kind;
    this.#codec = opts.codec ?? { toStored: (r) => r, fromStored: (d) => d };
    this.#onDelete = opts.onDelete;
    this.#onError = opts.onError ?? (() => {});
    this.#follower = new ChangeFollower(store, [kind], {
      apply: (_kind, id, doc) => this.#apply(id, doc === undefined ? undefined : this.#codec.fromStored(doc as T, id)),
      heldIds: () => this.#byName.keys(),
      idOf: (_kind, doc) => String(doc.name).toLowerCase(),
      onError: (err) => this.#onError(err),
    });
  }

  /** Loads every record (and follows changes from construction on). A secret that does not open fails here. */
  load(): Promise<void> {
    return this.#follower.reload();
  }

  list(): T[] {
    return [...this.#byName.values()];
  }

  get(name: string): T | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  /**
   * The record once a change of it already announced by the store (through any node) has been
   * re-read here: for callers that can wait a moment to be sure, e.g. an access-key check right
   * after a key was regenerated through another node. Resolves at once when nothing is pending.
   */
  async fresh(name: string): Promise<T | undefined> {
    await this.#follower.settledKey(this.#kind, name.toLowerCase());
    return this.get(name);
  }

  /** Creates or replaces a record as given (use `update` to change what is stored now). */
  async put(r: T): Promise<void> {
    const id = r.name.toLowerCase();
    const before = this.#follower.generation(this.#kind, id);
    await this.#store.put(this.#kind, id, this.#codec.toStored(r, id));
    if (this.#follower.mayApplyOwnWrite(this.#kind, id, before)) this.#apply(id, r);
    await this.#follower.settledKey(this.#kind, id);
  }

  /**
   * Changes the stored record by `fn` (undefined: leave it), retrying from a fresh read when
   * another writer got there first. Returns the record as it now is; undefined when there is none.
   */
  async update(name: string, fn: (current: T) => T | undefined): Promise<T | undefined> {
    const id = name.toLowerCase();
    for (let attempt = 1; ; attempt++) {
      const cur = await this.#store.getVersioned<T>(this.#kind, id);
      if (!cur) return undefined;
      const opened = this.#codec.fromStored(cur.doc, id);
      const next = fn(opened);
      if (!next) return opened;
      const before = this.#follower.generation(this.#kind, id);
      if (await this.#store.replaceIf(this.#kind, id, cur.revision, this.#codec.toStored(next, id))) {
        if (this.#follower.mayApplyOwnWrite(this.#kind, id, before)) this.#apply(id, next);
        await this.#follower.settledKey(this.#kind, id);
        return next;
      }
      if (attempt >= MAX_ATTEMPTS) throw new Error(`${this.#kind} '${name}' kept changing under ${MAX_ATTEMPTS} attempts to update it`);
      await backoff(attempt);
    }
  }

  async delete(name: string): Promise<boolean> {
    const id = name.toLowerCase();
    const before = this.#follower.generation(this.#kind, id);
    const removed = await this.#store.transaction(async (tx) => {
      const gone = await tx.delete(this.#kind, id);
      if (gone) await this.#onDelete?.(tx, name);
      return gone;
    });
    if (this.#follower.mayApplyOwnWrite(this.#kind, id, before)) this.#apply(id, undefined);
    return removed;
  }

  /** Listens for records appearing, changing and going (local and remote writes alike, once each). */
  on(events: RecordEvents<T>): () => void {
    this.#listeners.add(events);
    return () => this.#listeners.delete(events);
  }

  settled(): Promise<void> {
    return this.#follower.settled();
  }

  close(): void {
    this.#follower.close();
    this.#listeners.clear();
  }

  #apply(id: string, record: T | undefined): void {
    const held = this.#byName.get(id);
    if (!record) {
      if (!held) return;
      this.#byName.delete(id);
      this.#emit((l) => l.removed?.(held));
      return;
    }
    if (typeof record.name !== 'string') return this.#onError(new Error(`malformed ${this.#kind} record ${id} in the store`));
    if (held && sameDocument(held, record)) return;
    this.#byName.set(id, record);
    this.#emit((l) => (held ? l.changed?.(record, held) : l.added?.(record)));
  }

  #emit(fn: (l: RecordEvents<T>) => void): void {
    for (const l of this.#listeners) {
      try {
        fn(l);
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}
