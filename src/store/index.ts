import { join } from 'node:path';
import type { Store } from './types.ts';
import { SqliteStore } from './sqlite.ts';

export type { Store } from './types.ts';
export type { ChangeFeed, ChangeListener, StoreChange, Versioned } from './types.ts';
export { MIGRATIONS } from './migrations.ts';
export { LocalChangeFeed } from './change-feed.ts';
export { createSealer, loadMasterKey, SealingError, type Sealer, type MasterKeySource } from './sealing.ts';

/** Opens the embedded store under the data directory (`<dataDir>/lapis.db`). */
export function openEmbeddedStore(dataDir: string): Store {
  return new SqliteStore(join(dataDir, 'lapis.db'));
}

/** An in-memory store, for unit tests of the pieces above it. */
export function openMemoryStore(): Store {
  return new SqliteStore(':memory:');
}
