/**
 * Schema migrations, applied in order and recorded in `lapis_migrations`. The SQL is kept to the
 * subset SQLite and PostgreSQL share (TEXT columns, composite primary keys, ON CONFLICT upserts).
 * Never edit a released migration: add a new one.
 */
export interface Migration { version: number; description: string; statements: string[] }

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'documents by kind',
    statements: [
      `CREATE TABLE IF NOT EXISTS lapis_objects (
         kind TEXT NOT NULL,
         id TEXT NOT NULL,
         parent TEXT,
         doc TEXT NOT NULL,
         updated_at TEXT NOT NULL,
         PRIMARY KEY (kind, id)
       )`,
      'CREATE INDEX IF NOT EXISTS lapis_objects_parent ON lapis_objects (kind, parent)',
    ],
  },
  {
    version: 2,
    description: 'document revisions for compare-and-swap',
    statements: ['ALTER TABLE lapis_objects ADD COLUMN revision INTEGER NOT NULL DEFAULT 1'],
  },
];
