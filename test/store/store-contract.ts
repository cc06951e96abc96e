/**
 * The behaviour every Store implementation must have, as one suite run against each of them
 * (sqlite.test.ts, postgres.test.ts). `open()` gives an empty store; the test closes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/index.ts';

export interface StoreUnderTest {
  name: string;
  /** Why this implementation can't be tested here (the tests skip with it), or undefined. */
  skip?: string;
  open(): Promise<Store>;
}

export function storeContract(subject: StoreUnderTest): void {
  const it = (name: string, fn: (s: Store) => Promise<void>) =>
    test(`${subject.name}: ${name}`, { skip: subject.skip ?? false }, async () => {
      const s = await subject.open();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    });

  it('documents round-trip by kind and id, list by parent, delete', async (s) => {
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

  it('lists in bytewise id order, whatever the collation; documents keep their JSON types', async (s) => {
    for (const id of ['b', 'a', 'B', '_', 'ä', '10', '9']) await s.put('k', id, { id });
    assert.deepEqual((await s.list<{ id: string }>('k')).map((d) => d.id), ['10', '9', 'B', '_', 'a', 'b', 'ä']);
    const doc = { s: 'x\u0000y "quoted" ✓', n: 1.5, b: false, nil: null, arr: [1, { deep: true }] };
    await s.put('typed', 'one', doc);
    assert.deepEqual(await s.get('typed', 'one'), doc);
    await s.put('typed', 'moved', 1, 'p1');
    await s.put('typed', 'moved', 2, 'p2');
    assert.deepEqual(await s.list('typed', 'p1'), [], 'a rewrite moves the document to its new parent');
    assert.deepEqual(await s.list('typed', 'p2'), [2]);
  });

  it('a failed transaction leaves nothing behind', async (s) => {
    await assert.rejects(s.transaction(async (tx) => {
      await tx.put('k', 'x', 1);
      throw new Error('boom');
    }), /boom/);
    assert.equal(await s.get('k', 'x'), undefined);
    await s.transaction(async (tx) => { await tx.put('k', 'y', 2); });
    assert.equal(await s.get('k', 'y'), 2);
  });

  it('a transaction reads its own writes, nests into itself, and returns what its function returns', async (s) => {
    const result = await s.transaction(async (tx) => {
      await tx.put('k', 'a', 1);
      assert.equal(await tx.get('k', 'a'), 1);
      assert.deepEqual(await tx.getVersioned('k', 'a'), { doc: 1, revision: 1 });
      assert.equal(await tx.insertIfAbsent('k', 'a', 2), false);
      assert.equal(await tx.replaceIf('k', 'a', 1, 3), true);
      await tx.transaction(async (inner) => { await inner.put('k', 'b', 4); });
      assert.deepEqual(await tx.list('k'), [3, 4]);
      assert.equal(await tx.delete('k', 'b'), true);
      return 'done';
    });
    assert.equal(result, 'done');
    assert.deepEqual(await s.list('k'), [3]);
  });

  it('insertIfAbsent writes once; replaceIf only swaps the revision it read', async (s) => {
    assert.equal(await s.insertIfAbsent('k', 'a', { n: 1 }), true);
    assert.equal(await s.insertIfAbsent('k', 'a', { n: 2 }), false);
    const v = await s.getVersioned<{ n: number }>('k', 'a');
    assert.deepEqual(v, { doc: { n: 1 }, revision: 1 });
    assert.equal(await s.replaceIf('k', 'a', 1, { n: 3 }), true);
    assert.equal(await s.replaceIf('k', 'a', 1, { n: 4 }), false, 'a stale revision loses');
    assert.deepEqual(await s.getVersioned('k', 'a'), { doc: { n: 3 }, revision: 2 });
    assert.equal(await s.replaceIf('k', 'missing', 1, { n: 5 }), false);
    await s.put('k', 'a', { n: 6 });
    assert.equal((await s.getVersioned('k', 'a'))?.revision, 3, 'put bumps the revision too');
  });

  it('the change feed reports committed writes only, after commit, filtered by kind', async (s) => {
    const seen: string[] = [];
    const off = s.changes.subscribe((c) => seen.push(`${c.op} ${c.kind}/${c.id}${c.parent ? ` in ${c.parent}` : ''}`), ['k']);
    await s.put('k', 'a', 1);
    await s.put('other', 'x', 1);
    await s.insertIfAbsent('k', 'a', 2);
    await s.delete('k', 'a');
    await s.delete('k', 'a');
    await assert.rejects(s.transaction(async (tx) => { await tx.put('k', 'rolled', 1); throw new Error('no'); }));
    await s.transaction(async (tx) => {
      await tx.put('k', 'b', 1, 'p');
      assert.deepEqual(seen.at(-1), 'delete k/a', 'nothing is delivered before commit');
    });
    off();
    await s.put('k', 'after', 1);
    assert.deepEqual(seen, ['put k/a', 'delete k/a', 'put k/b in p'], 'a write resolves after its change was delivered');
  });

  it('a listener that throws does not stop delivery to the others', async (s) => {
    const seen: string[] = [];
    s.changes.subscribe(() => { throw new Error('listener bug'); });
    s.changes.subscribe((c) => seen.push(c.id));
    await s.put('k', 'a', 1);
    assert.deepEqual(seen, ['a']);
  });

  it('concurrent transactions never share one: the second waits, and plain calls wait too', async (s) => {
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
}
