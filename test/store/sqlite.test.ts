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

test('insertIfAbsent writes once; replaceIf only swaps the revision it read', async () => {
  const s = openMemoryStore();
  assert.equal(await s.insertIfAbsent('k', 'a', { n: 1 }), true);
  assert.equal(await s.insertIfAbsent('k', 'a', { n: 2 }), false);
  const v = await s.getVersioned<{ n: number }>('k', 'a');
  assert.deepEqual(v, { doc: { n: 1 }, revision: 1 });
  assert.equal(await s.replaceIf('k', 'a', 1, { n: 3 }), true);
  assert.equal(await s.replaceIf('k', 'a', 1, { n: 4 }), false, 'a stale revision loses');
  assert.deepEqual(await s.getVersioned('k', 'a'), { doc: { n: 3 }, revision: 2 });
  assert.equal(await s.replaceIf('k', 'missing', 1, { n: 5 }), false);
});

test('the change feed reports committed writes only, after commit, filtered by kind', async () => {
  const s = openMemoryStore();
  const seen: string[] = [];
  const off = s.changes.subscribe((c) => seen.push(`${c.op} ${c.kind}/${c.id}`), ['k']);
  await s.put('k', 'a', 1);
  await s.put('other', 'x', 1);
  await s.insertIfAbsent('k', 'a', 2);
  await s.delete('k', 'a');
  await s.delete('k', 'a');
  await assert.rejects(s.transaction(async (tx) => { await tx.put('k', 'rolled', 1); throw new Error('no'); }));
  await s.transaction(async (tx) => {
    await tx.put('k', 'b', 1);
    assert.deepEqual(seen.at(-1), 'delete k/a', 'nothing is delivered before commit');
  });
  off();
  await s.put('k', 'after', 1);
  assert.deepEqual(seen, ['put k/a', 'delete k/a', 'put k/b']);
});

test('concurrent transactions never share one: the second waits, and plain calls wait too', async () => {
  const s = openMemoryStore();
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const first = s.transaction(async (tx) => {
    await tx.put('k', 'first', 1);
    await gate;
    throw new Error('rolled back');
  });
  const second = s.transaction(async (tx) => { await tx.put('k', 'second', 2); });
  const plain = s.put('k', 'plain', 3);
  release();
  await assert.rejects(first, /rolled back/);
  await second;
  await plain;
  assert.equal(await s.get('k', 'first'), undefined, 'the failed transaction took only its own write with it');
  assert.equal(await s.get('k', 'second'), 2);
  assert.equal(await s.get('k', 'plain'), 3);
});
