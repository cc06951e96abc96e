/**
 * Helpers for the PostgreSQL store's multi-node tests: waiting for a change to arrive through a
 * node's feed, and running SQL on the test database from outside (as an administrator would).
 */
import pg from 'pg';
import { after, before } from 'node:test';
import { PostgresStore, type Store, type StoreChange } from '../../src/store/index.ts';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../helpers/services.ts';

/** Generous: these tests assert that changes arrive, not how fast. */
export const DELIVERY_WAIT_MS = 5000;

/** Every change a node's feed delivers, in order, and a way to wait for one. */
export class FeedRecorder {
  readonly changes: StoreChange[] = [];
  resyncs = 0;
  readonly #waiters = new Set<() => void>();
  readonly #off: (() => void)[];

  constructor(store: Store, kinds?: readonly string[]) {
    this.#off = [
      store.changes.subscribe((c) => { this.changes.push(c); this.#wake(); }, kinds),
      store.changes.onResync(() => { this.resyncs += 1; this.#wake(); }),
    ];
  }

  ids(): string[] { return this.changes.map((c) => `${c.op} ${c.kind}/${c.id}`); }

  /** Resolves once `done()` holds; rejects (naming `what`) when it still does not after DELIVERY_WAIT_MS. */
  async until(what: string, done: () => boolean): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`not delivered within ${DELIVERY_WAIT_MS} ms: ${what} (seen: ${this.ids().join(', ')}; resyncs: ${this.resyncs})`));
      }, DELIVERY_WAIT_MS);
      this.#waiters.add(check);
    });
  }

  /** Waits for a change of this kind and id. */
  async received(op: StoreChange['op'], kind: string, id: string): Promise<void> {
    await this.until(`${op} ${kind}/${id}`, () => this.changes.some((c) => c.op === op && c.kind === kind && c.id === id));
  }

  stop(): void { for (const off of this.#off) off(); }

  #wake(): void { for (const w of [...this.#waiters]) w(); }
}

/** Runs SQL on `url` as an outside observer or administrator, on a connection of its own. */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url, application_name: 'lapis-test-admin' });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query<R>(text, params)).rows;
  } finally {
    await c.end();
  }
}

/** Terminates the backends of `url`'s database whose application_name matches `pattern` (SQL LIKE); returns how many. */
export async function terminateBackends(url: string, pattern: string): Promise<number> {
  const rows = await sql<{ pid: number }>(url,
    `SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE $1 AND pid <> pg_backend_pid()`, [pattern]);
  return rows.length;
}

/**
 * Two PostgresStore "nodes" (applicationName lapis-a / lapis-b) on one throwaway database, opened
 * before the file's tests and closed after; nothing is opened when `skip` is set.
 */
export function twoNodes(skip: string | false): { readonly a: PostgresStore; readonly b: PostgresStore; readonly url: string } {
  let db: ThrowawayDatabase | undefined;
  let a: PostgresStore | undefined;
  let b: PostgresStore | undefined;
  before(async () => {
    if (skip) return;
    db = await createThrowawayDatabase();
    a = await PostgresStore.open(db.url, { applicationName: 'lapis-a' });
    b = await PostgresStore.open(db.url, { applicationName: 'lapis-b' });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });
  return { get a() { return a!; }, get b() { return b!; }, get url() { return db!.url; } };
}
