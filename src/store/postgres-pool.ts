/**
 * The PostgreSQL store's connection pool: bounded, with timeouts on connecting, on statements and
 * on idle transactions, and an error handler on the pool and on every connection it opens, so a
 * connection the server or the network drops is logged and replaced, never an unhandled event.
 */
import pg from 'pg';
import type { Logger } from '../log/index.ts';
import { neverSent, serverTerminated, staleConnection } from './postgres-errors.ts';

export interface PoolOptions {
  /** Most connections this node opens for queries and transactions (default 10; LISTEN uses one more). */
  poolSize?: number;
  /** Giving up on connecting (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Server-side limit on one statement (default 15000 ms); the client gives up 5 s later. */
  statementTimeoutMs?: number;
  /** The server ends a session idle inside a transaction for this long (default 60000 ms). */
  idleInTransactionTimeoutMs?: number;
  /** An idle pooled connection is closed after this long (default 30000 ms). */
  idleTimeoutMs?: number;
  /** How this node's connections show in pg_stat_activity (default `lapis`; the LISTEN one adds `-listen`). */
  applicationName?: string;
}

export const POOL_DEFAULTS = {
  poolSize: 10,
  connectTimeoutMs: 5000,
  statementTimeoutMs: 15_000,
  idleInTransactionTimeoutMs: 60_000,
  idleTimeoutMs: 30_000,
  applicationName: 'lapis',
} as const;

export type Queryable = pg.Pool | pg.ClientBase;

/** The pg settings of every connection of one store (the pool's and the LISTEN one). */
export function poolSettings(url: string, options: PoolOptions): pg.PoolConfig {
  const o = { ...POOL_DEFAULTS, ...definedOnly(options) };
  return {
    connectionString: url,
    max: o.poolSize,
    connectionTimeoutMillis: o.connectTimeoutMs,
    idleTimeoutMillis: o.idleTimeoutMs,
    statement_timeout: o.statementTimeoutMs,
    // The client-side limit also covers a network that swallows packets (the server never answers).
    query_timeout: o.statementTimeoutMs + 5000,
    idle_in_transaction_session_timeout: o.idleInTransactionTimeoutMs,
    keepAlive: true,
    application_name: o.applicationName,
  };
}

export function createPool(settings: pg.PoolConfig, log: Logger): pg.Pool {
  const pool = new pg.Pool(settings);
  // Idle connections' errors surface here (the pool then drops that connection).
  pool.on('error', (err) => log.warn({ err: err.message }, 'PostgreSQL store: an idle connection failed; it is replaced'));
  // Connections in use (inside a transaction) report errors on themselves; the call in progress fails instead.
  pool.on('connect', (client) => {
    client.on('error', (err) => log.debug({ err: err.message }, 'PostgreSQL store: a connection failed'));
  });
  return pool;
}

/**
 * One statement on the pool, retried on a fresh connection when the one it got was already dead
 * (after a server restart or pg_terminate_backend every idle connection is; each failed attempt
 * discards one, so at most one attempt per pooled connection plus one): reads whenever the
 * connection was found broken; writes only when the statement never reached the server or the
 * server terminated the session (which rolls the statement back). Statements on a transaction's
 * own connection are never retried.
 */
export async function runQuery(db: Queryable, sql: string, params: unknown[], kind: 'read' | 'write'): Promise<pg.QueryResult> {
  const attempts = db instanceof pg.Pool ? (db.options.max ?? POOL_DEFAULTS.poolSize) + 1 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.query(sql, params);
    } catch (err) {
      const retry = kind === 'read' ? staleConnection(err) : neverSent(err) || serverTerminated(err);
      if (!retry || attempt >= attempts) throw err;
    }
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
