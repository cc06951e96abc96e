import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore, openMemoryStore, MIGRATIONS } from '../../src/store/index.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

test('documents round-trip by kind and id, list by parent, delete', async () => {
  const s = openMemoryStore();
  await s.put('k', 'a', { n: 1 }, 'p1');
  await s.put('k', 'b', { n: 2 }, 'p2');
  await s.put('other', 'a', { n: 3 });
  assert.deepEqual(await s.get('k', 'a'), { n: 1 });
  assert.deepEqual(await s.list('k'), [{ n: 1 }, { n: 2 }]);
  assert.deepEqual(await s.list('k', 'p2'), [{ n: 2 }]);
  await s.put('k', 'a', { n: 9 }, 'p1');
  assert.deepEqual(await s.get('k', 'a'), { n: 9 });
  assert.equal(await s.delete('k', 'a'), true);
  assert.equal(await s.delete('k', 'a'), false);
  assert.equal(await s.get('k', 'a'), undefined);
});

test('a failed transaction leaves nothing behind', async () => {
  const s = openMemoryStore();
  await assert.rejects(s.transaction(async (tx) => {
    await tx.put('k', 'x', 1);
    throw new Error('boom');
  }), /boom/);
  assert.equal(await s.get('k', 'x'), undefined);
  await s.transaction(async (tx) => { await tx.put('k', 'y', 2); });
  assert.equal(await s.get('k', 'y'), 2);
});

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
