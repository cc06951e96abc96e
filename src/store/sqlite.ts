import { DatabaseSync } from 'node:sqlite';
import { chmodSync, existsSync } from 'node:fs';
import type { Store } from './types.ts';
import { MIGRATIONS } from './migrations.ts';

/**
 * Embedded store on Node's built-in SQLite (no native addon to build). The database is a single
 * file readable by its owner only, as it holds access keys that must stay usable (HMAC keys cannot
 * be hashed); client secrets and passwords are stored hashed by the identity piece.
 */
export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  #depth = 0;

  constructor(file: string) {
    const isNew = file !== ':memory:' && !existsSync(file);
    this.#db = new DatabaseSync(file);
    if (isNew) chmodSync(file, 0o600);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#migrate();
  }

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
    const row = this.#db.prepare('SELECT doc FROM lapis_objects WHERE kind = ? AND id = ?').get(kind, id);
    return row ? (JSON.parse(String(row.doc)) as T) : undefined;
  }

  async list<T>(kind: string, parent?: string): Promise<T[]> {
    const rows = parent === undefined
      ? this.#db.prepare('SELECT doc FROM lapis_objects WHERE kind = ? ORDER BY id').all(kind)
      : this.#db.prepare('SELECT doc FROM lapis_objects WHERE kind = ? AND parent = ? ORDER BY id').all(kind, parent);
    return rows.map((r) => JSON.parse(String(r.doc)) as T);
  }

  async put<T>(kind: string, id: string, doc: T, parent?: string): Promise<void> {
    this.#db.prepare(`INSERT INTO lapis_objects (kind, id, parent, doc, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (kind, id) DO UPDATE SET parent = excluded.parent, doc = excluded.doc, updated_at = excluded.updated_at`)
      .run(kind, id, parent ?? null, JSON.stringify(doc), new Date().toISOString());
  }

  async delete(kind: string, id: string): Promise<boolean> {
    const r = this.#db.prepare('DELETE FROM lapis_objects WHERE kind = ? AND id = ?').run(kind, id);
    return Number(r.changes) > 0;
  }

  /**
   * SQLite access here is synchronous, so a transaction is only atomic if `fn` does not yield to
   * other store users mid-way; nested calls join the outer transaction.
   */
  async transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R> {
    if (this.#depth > 0) return fn(this);
    this.#db.exec('BEGIN IMMEDIATE');
    this.#depth++;
    try {
      const result = await fn(this);
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    } finally {
      this.#depth--;
    }
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}
