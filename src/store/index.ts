import { join } from 'node:path';
import type { Store } from './types.ts';
import { SqliteStore } from './sqlite.ts';
import type { Logger } from '../log/index.ts';
import { PostgresStore, type PostgresStoreOptions } from './postgres.ts';
import { parseStoreUrl } from './postgres-errors.ts';

export type { Store } from './types.ts';
export type { ChangeFeed, ChangeListener, StoreChange, Versioned } from './types.ts';
export { MIGRATIONS } from './migrations.ts';
export { LocalChangeFeed } from './change-feed.ts';
export { ChangeFollower, sameDocument, type FollowHandlers } from './follow.ts';
export { createSealer, loadMasterKey, SealingError, type Sealer, type MasterKeySource } from './sealing.ts';
export { PostgresStore, type PostgresStoreOptions } from './postgres.ts';
export { PostgresStoreError, redactStoreUrl, type PostgresStoreErrorCode } from './postgres-errors.ts';

/** Opens the embedded store under the data directory (`<dataDir>/lapis.db`). */
export function openEmbeddedStore(dataDir: string): Store {
  return new SqliteStore(join(dataDir, 'lapis.db'));
}

/** An in-memory store, for unit tests of the pieces above it. */
export function openMemoryStore(): Store {
  return new SqliteStore(':memory:');
}

export interface OpenStoreOptions extends PostgresStoreOptions {
  /** `postgresql://…` or `postgres://…` for the shared store; absent or empty for the embedded one. */
  url?: string;
  dataDir: string;
  log?: Logger;
}

/**
 * Opens the store `--store` names: PostgreSQL for a postgresql:// (or postgres://) URL, connected
 * and migrated before this resolves; otherwise the embedded SQLite file in the data directory.
 * Throws PostgresStoreError (StoreUrlInvalid, StoreUnreachable, StoreMigrationFailed).
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { url, dataDir, ...pgOptions } = options;
  if (url === undefined || url === '') return openEmbeddedStore(dataDir);
  parseStoreUrl(url); // any other scheme is refused, not silently replaced by the embedded store
  return PostgresStore.open(url, pgOptions);
}
