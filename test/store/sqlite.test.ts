import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore, openMemoryStore, openStore, MIGRATIONS } from '../../src/store/index.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { storeContract } from './store-contract.ts';

storeContract({ name: 'SQLite', open: async () => openMemoryStore() });

test('the database file is owner-only and migrations are recorded once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-store-'));
  try {
    const s = openEmbeddedStore(dir);
    await s.put('k', 'a', 1);
    await s.close();
    assert.equal(statSync(join(dir, 'lapis.db')).mode & 0o777, 0o600);
    const again = new SqliteStore(join(dir, 'lapis.db'));
    assert.equal(await again.get('k', 'a'), 1, 'data survives reopening');
    await again.close();
    assert.ok(MIGRATIONS.length >= 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('openStore without a URL opens the embedded store in the data directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-store-'));
  try {
    for (const url of [undefined, '']) {
      const s = await openStore({ url, dataDir: dir });
      assert.ok(s instanceof SqliteStore);
      await s.put('k', 'a', 1);
      await s.close();
    }
    assert.ok(statSync(join(dir, 'lapis.db')).isFile());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
