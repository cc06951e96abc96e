/**
 * Errors of the PostgreSQL store and the checks of its URL. Every error carries a stable `code`
 * (listed in docs/cluster.md); driver errors are kept as `cause` for the logs, and no message
 * ever contains the URL's password.
 */

export type PostgresStoreErrorCode =
  /** `--store` is not a usable postgresql:// URL (too long, unparsable, other scheme). */
  | 'StoreUrlInvalid'
  /** Opening failed: the server could not be reached or refused the role/database. */
  | 'StoreUnreachable'
  /** The schema migrations failed on an otherwise reachable database. */
  | 'StoreMigrationFailed'
  /** A call failed because the connection to PostgreSQL was lost or timed out. */
  | 'StoreUnavailable'
  /** The document has no JSON form (undefined, a BigInt, a cycle). */
  | 'StoreDocumentInvalid'
  /** PostgreSQL refused a statement (e.g. a NUL character in an id). */
  | 'StoreQueryFailed'
  /** A transaction could not commit (a statement in it had failed and was caught, or COMMIT failed). */
  | 'StoreTransactionAborted'
  /** The store was closed. */
  | 'StoreClosed';

export class PostgresStoreError extends Error {
  readonly code: PostgresStoreErrorCode;
  constructor(code: PostgresStoreErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'PostgresStoreError';
    this.code = code;
  }
}

export const MAX_STORE_URL_LENGTH = 2048;

/** Whether `url` names a PostgreSQL store (the scheme decides; the rest is checked by `parseStoreUrl`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** Checks a `postgresql://` or `postgres://` URL; returns it unchanged or throws StoreUrlInvalid. */
export function parseStoreUrl(url: string): string {
  if (url.length > MAX_STORE_URL_LENGTH) {
    throw new PostgresStoreError('StoreUrlInvalid', `The store URL is longer than ${MAX_STORE_URL_LENGTH} characters.`);
  }
  if (!isPostgresUrl(url)) {
    throw new PostgresStoreError('StoreUrlInvalid',
      'The store URL must start with postgresql:// or postgres:// (omit it for the embedded SQLite store).');
  }
  try {
    new URL(url);
  } catch {
    throw new PostgresStoreError('StoreUrlInvalid',
      'The store URL is not a valid URL (percent-encode special characters in the user name and password).');
  }
  return url;
}

/** The URL with its password (and any password query parameter) replaced by `***`, for messages and logs. */
export function redactStoreUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|key/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** SQLSTATEs with which the server ends a session it terminated (admin, crash or start-up shutdown). */
const SERVER_TERMINATED = new Set(['57P01', '57P02', '57P03']);

/** The connection was dead before the statement could reach the server: safe to retry any statement. */
export function neverSent(err: unknown): boolean {
  return err instanceof Error && /not queryable/.test(err.message);
}

/**
 * The server terminated the session (it rolls back the statement it was running; only a
 * termination landing in the instant between commit and acknowledgement loses the answer).
 */
export function serverTerminated(err: unknown): boolean {
  return typeof (err as { code?: unknown })?.code === 'string' && SERVER_TERMINATED.has((err as { code: string }).code);
}

/** A pooled connection that had died before or while it was used (not a server that refuses new ones). */
export function staleConnection(err: unknown): boolean {
  if (neverSent(err) || serverTerminated(err)) return true;
  const code = (err as { code?: unknown })?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || (err instanceof Error && /Connection terminated unexpectedly/.test(err.message));
}

/** Any sign that the connection, not the statement, failed. */
export function connectionLost(err: unknown): boolean {
  if (neverSent(err) || serverTerminated(err)) return true;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && (code.startsWith('08') || ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code))) return true;
  return err instanceof Error && /Connection terminated|timeout|connection error/i.test(err.message);
}

/** Wraps a driver error in the store's error with a stable code (errors of the store itself pass through). */
export function storeError(err: unknown, what: string): PostgresStoreError {
  if (err instanceof PostgresStoreError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return connectionLost(err)
    ? new PostgresStoreError('StoreUnavailable', `PostgreSQL store: ${what} failed, the connection was lost (${detail}).`, err)
    : new PostgresStoreError('StoreQueryFailed', `PostgreSQL store: ${what} failed (${detail}).`, err);
}
