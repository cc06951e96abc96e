/**
 * The clustered store: the same documents, revisions and migrations as the embedded SQLite store,
 * on a shared PostgreSQL database, with a change feed over LISTEN/NOTIFY so that every node sharing
 * the database hears every committed write. Semantics follow ./sqlite.ts; what differs is that
 * concurrent transactions really run side by side (each on its own pooled connection).
 */
import pg from 'pg';
import type { Logger } from '../log/index.ts';
import { createLogger } from '../log/index.ts';
import type { ChangeFeed, Store, StoreChange, Versioned } from './types.ts';
import { migrate, SQL } from './postgres-sql.ts';
import { encodeChange, PostgresChangeFeed } from './postgres-feed.ts';
import { createPool, POOL_DEFAULTS, poolSettings, type PoolOptions, type Queryable, runQuery } from './postgres-pool.ts';
import { connectionLost, parseStoreUrl, PostgresStoreError, redactStoreUrl, staleConnection, storeError } from './postgres-errors.ts';

export interface PostgresStoreOptions extends PoolOptions {
  log?: Logger;
  /** How long a write waits for its own change notification (default 1000 ms). */
  ownChangeWaitMs?: number;
  /** How often the LISTEN connection is checked for life (default 30000 ms). */
  feedHeartbeatMs?: number;
}

/** One statement run on behalf of a write: it changed a row or it did not. */
type WriteRunner = (sql: string, params: unknown[]) => Promise<boolean>;

export class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  readonly #feed: PostgresChangeFeed;
  readonly #log: Logger;
  #closed = false;

  private constructor(pool: pg.Pool, feed: PostgresChangeFeed, log: Logger) {
    this.#pool = pool;
    this.#feed = feed;
    this.#log = log;
  }

  /**
   * Connects, migrates (under an advisory lock) and starts listening. Fails with StoreUnreachable
   * (naming the URL without its password) when the database cannot be reached.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    parseStoreUrl(url);
    const log = options.log ?? createLogger({ level: 'silent' });
    const where = redactStoreUrl(url);
    const settings = poolSettings(url, options);
    const pool = createPool(settings, log);
    const feed = new PostgresChangeFeed({
      client: { ...settings, application_name: `${settings.application_name ?? 'lapis'}-listen` },
      log,
      ownChangeWaitMs: options.ownChangeWaitMs ?? 1000,
      heartbeatMs: options.feedHeartbeatMs,
    });
    let step = 'connect';
    try {
      const client = await pool.connect();
      step = 'migrate';
      try {
        const applied = await migrate(client);
        if (applied.length > 0) log.info({ store: where, migrations: applied }, 'PostgreSQL store migrated');
      } finally {
        client.release();
      }
      step = 'listen';
      await feed.start();
    } catch (err) {
      await feed.close();
      await pool.end().catch(() => {});
      const detail = err instanceof Error ? err.message : String(err);
      throw step === 'migrate'
        ? new PostgresStoreError('StoreMigrationFailed', `Migrating the PostgreSQL store at ${where} failed: ${detail}`, err)
        : new PostgresStoreError('StoreUnreachable', `The PostgreSQL store at ${where} is not reachable: ${detail}`, err);
    }
    return new PostgresStore(pool, feed, log);
  }

  get changes(): ChangeFeed { return this.#feed.local; }

  /** Whether this node currently hears the other nodes' changes (its LISTEN connection is up), for health reports. */
  get listening(): boolean { return this.#feed.listening; }

  async get<T>(kind: string, id: string): Promise<T | undefined> {
    return (await this.getVersioned<T>(kind, id))?.doc;
  }

  async getVersioned<T>(kind: string, id: string): Promise<Versioned<T> | undefined> {
    return readOne<T>(this.#open(), kind, id);
  }

  async list<T>(kind: string, parent?: string): Promise<T[]> {
    return readList<T>(this.#open(), kind, parent);
  }

  async put<T>(kind: string, id: string, doc: T, parent?: string): Promise<void> {
    await this.#write(toChange('put', kind, id, parent), SQL.put, [kind, id, parent ?? null, serialize(doc), now()]);
  }

  async insertIfAbsent<T>(kind: string, id: string, doc: T, parent?: string): Promise<boolean> {
    return this.#write(toChange('put', kind, id, parent), SQL.insertIfAbsent, [kind, id, parent ?? null, serialize(doc), now()]);
  }

  async replaceIf<T>(kind: string, id: string, revision: number, doc: T, parent?: string): Promise<boolean> {
    return this.#write(toChange('put', kind, id, parent), SQL.replaceIf,
      [kind, id, parent ?? null, serialize(doc), now(), revision]);
  }

  async delete(kind: string, id: string): Promise<boolean> {
    return this.#write(toChange('delete', kind, id), SQL.delete, [kind, id]);
  }

  /** One statement in its own implicit transaction; resolves once this node's subscribers have the change. */
  async #write(change: StoreChange, sql: string, params: unknown[]): Promise<boolean> {
    const pool = this.#open();
    const origin = this.#feed.nextOrigin();
    const expectation = this.#feed.expect(origin);
    let wrote: boolean;
    try {
      const r = await runQuery(pool, sql, [...params, encodeChange(change, origin)], 'write');
      wrote = (r.rowCount ?? 0) > 0;
    } catch (err) {
      expectation.cancel();
      throw storeError(err, `${change.op} ${change.kind}`);
    }
    if (!wrote) {
      expectation.cancel();
      return false;
    }
    await expectation.committed([change]);
    return true;
  }

  /**
   * Runs `fn` on one pooled connection between BEGIN and COMMIT. Its changes are announced by
   * PostgreSQL at commit (NOTIFY is transactional), and not at all on rollback.
   */
  async transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R> {
    const client = await this.#begin();
    const written: { change: StoreChange; origin: string }[] = [];
    let result: R;
    try {
      result = await fn(this.#txHandle(client, written));
    } catch (err) {
      let broken: Error | undefined;
      await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
      // A connection that could not even roll back is discarded, not returned to the pool.
      client.release(broken);
      throw err;
    }
    const last = written.at(-1);
    const expectation = last ? this.#feed.expect(last.origin) : undefined;
    try {
      const r = await client.query('COMMIT');
      // COMMIT of a transaction in which a statement failed (and the caller caught it) rolls back instead.
      if (r.command === 'ROLLBACK') {
        throw new PostgresStoreError('StoreTransactionAborted', 'The transaction was rolled back: a statement in it had failed.');
      }
    } catch (err) {
      expectation?.cancel();
      client.release(err instanceof PostgresStoreError ? undefined : (err as Error));
      if (err instanceof PostgresStoreError) throw err;
      // The commit may or may not have landed; if it did, its changes still arrive through the feed.
      if (connectionLost(err)) {
        throw new PostgresStoreError('StoreUnavailable',
          `The connection was lost while committing; the transaction may or may not have committed (${(err as Error).message}).`, err);
      }
      throw new PostgresStoreError('StoreTransactionAborted', `The transaction could not commit: ${(err as Error).message}`, err);
    }
    client.release();
    await expectation?.committed(written.map((w) => w.change));
    return result;
  }

  /**
   * A pooled connection with a transaction begun on it. BEGIN changes nothing, so a connection
   * found dead here is discarded and the next one tried (after a restart every idle one is dead).
   */
  async #begin(): Promise<pg.PoolClient> {
    const pool = this.#open();
    const attempts = (pool.options.max ?? POOL_DEFAULTS.poolSize) + 1;
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw storeError(err, 'begin transaction');
      }
      try {
        await client.query('BEGIN');
        return client;
      } catch (err) {
        client.release(err as Error);
        if (!staleConnection(err) || attempt >= attempts) throw storeError(err, 'begin transaction');
      }
    }
  }

  /** The store as seen from inside a transaction: every call runs on the transaction's connection. */
  #txHandle(client: pg.PoolClient, written: { change: StoreChange; origin: string }[]): Store {
    const write = (change: StoreChange): WriteRunner => async (sql, params) => {
      const origin = this.#feed.nextOrigin();
      let r: pg.QueryResult;
      try {
        r = await client.query(sql, [...params, encodeChange(change, origin)]);
      } catch (err) {
        throw storeError(err, `${change.op} ${change.kind}`);
      }
      const wrote = (r.rowCount ?? 0) > 0;
      if (wrote) written.push({ change, origin });
      return wrote;
    };
    const tx: Store = {
      get: async <T>(kind: string, id: string) => (await readOne<T>(client, kind, id))?.doc,
      getVersioned: async <T>(kind: string, id: string) => readOne<T>(client, kind, id),
      list: async <T>(kind: string, parent?: string) => readList<T>(client, kind, parent),
      put: async <T>(kind: string, id: string, doc: T, parent?: string) => {
        await write(toChange('put', kind, id, parent))(SQL.put, [kind, id, parent ?? null, serialize(doc), now()]);
      },
      insertIfAbsent: async <T>(kind: string, id: string, doc: T, parent?: string) =>
        write(toChange('put', kind, id, parent))(SQL.insertIfAbsent, [kind, id, parent ?? null, serialize(doc), now()]),
      replaceIf: async <T>(kind: string, id: string, revision: number, doc: T, parent?: string) =>
        write(toChange('put', kind, id, parent))(SQL.replaceIf, [kind, id, parent ?? null, serialize(doc), now(), revision]),
      delete: async (kind: string, id: string) => write(toChange('delete', kind, id))(SQL.delete, [kind, id]),
      transaction: async <R>(inner: (t: Store) => Promise<R>) => inner(tx),
      changes: this.#feed.local,
      close: async () => {},
    };
    return tx;
  }

  /** Stops listening and closes the pool once running calls and transactions have finished. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#feed.close();
    await this.#pool.end().catch((err: Error) => this.#log.warn({ err: err.message }, 'closing the PostgreSQL pool failed'));
  }

  #open(): pg.Pool {
    if (this.#closed) throw new PostgresStoreError('StoreClosed', 'The PostgreSQL store is closed.');
    return this.#pool;
  }
}

async function readOne<T>(db: Queryable, kind: string, id: string): Promise<Versioned<T> | undefined> {
  try {
    const r = await runQuery(db, SQL.get, [kind, id], 'read');
    const row = r.rows[0] as { doc: string; revision: number } | undefined;
    return row ? { doc: JSON.parse(row.doc) as T, revision: Number(row.revision) } : undefined;
  } catch (err) {
    throw storeError(err, `get ${kind}`);
  }
}

async function readList<T>(db: Queryable, kind: string, parent?: string): Promise<T[]> {
  try {
    const r = parent === undefined
      ? await runQuery(db, SQL.list, [kind], 'read')
      : await runQuery(db, SQL.listByParent, [kind, parent], 'read');
    return r.rows.map((row: { doc: string }) => JSON.parse(row.doc) as T);
  } catch (err) {
    throw storeError(err, `list ${kind}`);
  }
}

function toChange(op: StoreChange['op'], kind: string, id: string, parent?: string): StoreChange {
  return parent === undefined ? { op, kind, id } : { op, kind, id, parent };
}

/** The document as stored; what JSON cannot hold is refused before anything is sent. */
function serialize(doc: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(doc);
  } catch (err) {
    throw new PostgresStoreError('StoreDocumentInvalid', `The document cannot be stored as JSON: ${(err as Error).message}`, err);
  }
  if (text === undefined) throw new PostgresStoreError('StoreDocumentInvalid', 'The document cannot be stored as JSON: it is undefined or a function.');
  return text;
}

function now(): string {
  return new Date().toISOString();
}
