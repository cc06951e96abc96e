import { DatabaseSync } from 'node:sqlite';
import { chmodSync, existsSync } from 'node:fs';
import type { ChangeFeed, Store, StoreChange, Versioned } from './types.ts';
import { MIGRATIONS } from './migrations.ts';
import { LocalChangeFeed } from './change-feed.ts';

/**
 * Embedded store on Node's built-in SQLite (no native addon to build). The database is a single
 * file readable by its owner only. One connection serves the process, so while a transaction is
 * open every other caller waits for it (statements on the shared connection would otherwise join
 * it); the transaction's own handle runs at once. The change feed is in-process: one node.
 */
export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #feed = new LocalChangeFeed();
  /**
   * Settles when the open transaction ends; undefined when none is open. Every method re-checks it
   * in a loop right before touching the database, with no await in between (a helper returning a
   * promise would leave a gap in which another transaction could begin).
   */
  #txDone: Promise<void> | undefined;

  constructor(file: string) {
    const isNew = file !== ':memory:' && !existsSync(file);
    this.#db = new DatabaseSync(file);
    if (isNew) chmodSync(file, 0o600);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#migrate();
  }

  get changes(): ChangeFeed { return this.#feed; }

  #migrate(): void {
    this.#db.exec(`CREATE TABLE IF NOT EXISTS lapis_migrations (
      version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    const done = new Set(
      this.#db.prepare('SELECT version FROM lapis_migrations').all().map((r) => Number(r.version)),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      this.#db.exec('BEGIN');
      try {
        for (const sql of m.statements) this.#db.exec(sql);
        this.#db.prepare('INSERT INTO lapis_migrations (version, description, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.description, new Date().toISOString());
        this.#db.exec('COMMIT');
      } catch (err) {
        this.#db.exec('ROLLBACK');
        throw err;
      }
    }
  }

  async get<T>(kind: string, id: string): Promise<T | undefined> {
    while (this.#txDone) await this.#txDone;
    return this.#get<T>(kind, id)?.doc;
  }

  async getVersioned<T>(kind: string, id: string): Promise<Versioned<T> | undefined> {
    while (this.#txDone) await this.#txDone;
    return this.#get<T>(kind, id);
  }

  async list<T>(kind: string, parent?: string): Promise<T[]> {
    while (this.#txDone) await this.#txDone;
    return this.#list<T>(kind, parent);
  }

  async put<T>(kind: string, id: string, doc: T, parent?: string): Promise<void> {
    while (this.#txDone) await this.#txDone;
    this.#feed.emit(this.#put(kind, id, doc, parent));
  }

  async insertIfAbsent<T>(kind: string, id: string, doc: T, parent?: string): Promise<boolean> {
    while (this.#txDone) await this.#txDone;
    const change = this.#insertIfAbsent(kind, id, doc, parent);
    if (change) this.#feed.emit(change);
    return change !== undefined;
  }

  async replaceIf<T>(kind: string, id: string, revision: number, doc: T, parent?: string): Promise<boolean> {
    while (this.#txDone) await this.#txDone;
    const change = this.#replaceIf(kind, id, revision, doc, parent);
    if (change) this.#feed.emit(change);
    return change !== undefined;
  }

  async delete(kind: string, id: string): Promise<boolean> {
    while (this.#txDone) await this.#txDone;
    const change = this.#delete(kind, id);
    if (change) this.#feed.emit(change);
    return change !== undefined;
  }

  async transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R> {
    while (this.#txDone) await this.#txDone;
    let end!: () => void;
    this.#txDone = new Promise<void>((resolve) => { end = resolve; });
    const pending: StoreChange[] = [];
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn(this.#txHandle(pending));
      this.#db.exec('COMMIT');
      this.#txDone = undefined;
      end();
      for (const change of pending) this.#feed.emit(change);
      return result;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      this.#txDone = undefined;
      end();
      throw err;
    }
  }

  /** The store as seen from inside a transaction: runs at once, and holds its changes until commit. */
  #txHandle(pending: StoreChange[]): Store {
    const record = (change: StoreChange | undefined): boolean => {
      if (change) pending.push(change);
      return change !== undefined;
    };
    const tx: Store = {
      get: async <T>(kind: string, id: string) => this.#get<T>(kind, id)?.doc,
      getVersioned: async <T>(kind: string, id: string) => this.#get<T>(kind, id),
      list: async <T>(kind: string, parent?: string) => this.#list<T>(kind, parent),
      put: async <T>(kind: string, id: string, doc: T, parent?: string) => { record(this.#put(kind, id, doc, parent)); },
      insertIfAbsent: async <T>(kind: string, id: string, doc: T, parent?: string) =>
        record(this.#insertIfAbsent(kind, id, doc, parent)),
      replaceIf: async <T>(kind: string, id: string, revision: number, doc: T, parent?: string) =>
        record(this.#replaceIf(kind, id, revision, doc, parent)),
      delete: async (kind: string, id: string) => record(this.#delete(kind, id)),
      transaction: async <R>(inner: (t: Store) => Promise<R>) => inner(tx),
      changes: this.#feed,
      close: async () => {},
    };
    return tx;
  }

  #get<T>(kind: string, id: string): Versioned<T> | undefined {
    const row = this.#db.prepare('SELECT doc, revision FROM lapis_objects WHERE kind = ? AND id = ?').get(kind, id);
    return row ? { doc: JSON.parse(String(row.doc)) as T, revision: Number(row.revision) } : undefined;
  }

  #list<T>(kind: string, parent?: string): T[] {
    const rows = parent === undefined
      ? this.#db.prepare('SELECT doc FROM lapis_objects WHERE kind = ? ORDER BY id').all(kind)
      : this.#db.prepare('SELECT doc FROM lapis_objects WHERE kind = ? AND parent = ? ORDER BY id').all(kind, parent);
    return rows.map((r) => JSON.parse(String(r.doc)) as T);
  }

  #put<T>(kind: string, id: string, doc: T, parent?: string): StoreChange {
    this.#db.prepare(`INSERT INTO lapis_objects (kind, id, parent, doc, updated_at, revision) VALUES (?, ?, ?, ?, ?, 1)
      ON CONFLICT (kind, id) DO UPDATE SET parent = excluded.parent, doc = excluded.doc,
        updated_at = excluded.updated_at, revision = lapis_objects.revision + 1`)
      .run(kind, id, parent ?? null, JSON.stringify(doc), new Date().toISOString());
    return change('put', kind, id, parent);
  }

  #insertIfAbsent<T>(kind: string, id: string, doc: T, parent?: string): StoreChange | undefined {
    const r = this.#db.prepare(`INSERT INTO lapis_objects (kind, id, parent, doc, updated_at, revision) VALUES (?, ?, ?, ?, ?, 1)
      ON CONFLICT (kind, id) DO NOTHING`)
      .run(kind, id, parent ?? null, JSON.stringify(doc), new Date().toISOString());
    return Number(r.changes) > 0 ? change('put', kind, id, parent) : undefined;
  }

  #replaceIf<T>(kind: string, id: string, revision: number, doc: T, parent?: string): StoreChange | undefined {
    const r = this.#db.prepare(`UPDATE lapis_objects SET parent = ?, doc = ?, updated_at = ?, revision = revision + 1
      WHERE kind = ? AND id = ? AND revision = ?`)
      .run(parent ?? null, JSON.stringify(doc), new Date().toISOString(), kind, id, revision);
    return Number(r.changes) > 0 ? change('put', kind, id, parent) : undefined;
  }

  #delete(kind: string, id: string): StoreChange | undefined {
    const r = this.#db.prepare('DELETE FROM lapis_objects WHERE kind = ? AND id = ?').run(kind, id);
    return Number(r.changes) > 0 ? change('delete', kind, id) : undefined;
  }

  async close(): Promise<void> {
    while (this.#txDone) await this.#txDone;
    if (this.#db.isOpen) this.#db.close();
  }
}

function change(op: StoreChange['op'], kind: string, id: string, parent?: string): StoreChange {
  return parent === undefined ? { op, kind, id } : { op, kind, id, parent };
}
