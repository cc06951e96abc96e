/**
 * The PostgreSQL store's statements and its migration runner. Every write is one statement that
 * also queues its change notification (`pg_notify` over the written row), so the write and its
 * notification commit together, and nothing is announced when no row changed.
 */
import type pg from 'pg';
import { MIGRATIONS } from './migrations.ts';

export const CHANGES_CHANNEL = 'lapis_changes';

/** Held (per transaction) while migrating, so that nodes starting together migrate once, one after another. */
const MIGRATION_LOCK_KEY = 0x4c61706973; // "Lapis"

/** Ordered bytewise (COLLATE "C") like SQLite, whatever the database's collation. */
export const SQL = {
  get: 'SELECT doc, revision FROM lapis_objects WHERE kind = $1 AND id = $2',
  list: 'SELECT doc FROM lapis_objects WHERE kind = $1 ORDER BY id COLLATE "C"',
  listByParent: 'SELECT doc FROM lapis_objects WHERE kind = $1 AND parent = $2 ORDER BY id COLLATE "C"',
  /** $1 kind, $2 id, $3 parent, $4 doc, $5 updated_at, $6 notification payload. */
  put: notifying(`INSERT INTO lapis_objects (kind, id, parent, doc, updated_at, revision) VALUES ($1, $2, $3, $4, $5, 1)
      ON CONFLICT (kind, id) DO UPDATE SET parent = excluded.parent, doc = excluded.doc,
        updated_at = excluded.updated_at, revision = lapis_objects.revision + 1`, '$6'),
  insertIfAbsent: notifying(`INSERT INTO lapis_objects (kind, id, parent, doc, updated_at, revision) VALUES ($1, $2, $3, $4, $5, 1)
      ON CONFLICT (kind, id) DO NOTHING`, '$6'),
  /** $1 kind, $2 id, $3 parent, $4 doc, $5 updated_at, $6 expected revision, $7 payload. */
  replaceIf: notifying(`UPDATE lapis_objects SET parent = $3, doc = $4, updated_at = $5, revision = revision + 1
      WHERE kind = $1 AND id = $2 AND revision = $6`, '$7'),
  /** $1 kind, $2 id, $3 payload. */
  delete: notifying('DELETE FROM lapis_objects WHERE kind = $1 AND id = $2', '$3'),
} as const;

/** Runs `write` and notifies with `payloadParam` once per changed row (the row count says whether it wrote). */
function notifying(write: string, payloadParam: string): string {
  return `WITH written AS (${write} RETURNING 1) SELECT pg_notify('${CHANGES_CHANNEL}', ${payloadParam}::text) FROM written`;
}

/**
 * Applies the shared migrations (./migrations.ts) that the database lacks, in one transaction
 * under an advisory lock: a node that starts while another migrates waits, then finds nothing to do.
 */
export async function migrate(client: pg.ClientBase): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS lapis_migrations (
      version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM lapis_migrations')).rows
      .map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const sql of m.statements) await client.query(sql);
      await client.query('INSERT INTO lapis_migrations (version, description, applied_at) VALUES ($1, $2, $3)',
        [m.version, m.description, new Date().toISOString()]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
