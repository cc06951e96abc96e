// ChangeFollower: re-reads that finish out of order never put an older document back; deletes
// apply at once; a full reload skips what changed while it listed and drops what is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeFollower, LocalChangeFeed, openMemoryStore, sameDocument, type Store } from '../../src/store/index.ts';

/** A store whose reads wait until the test releases them, in any order. */
function gatedStore(inner: Store) {
  const gates: (() => void)[] = [];
  const store: Store = {
    ...inner,
    get: async <T>(kind: string, id: string) => {
      const doc = await inner.get<T>(kind, id);   // read now, answer later: a slow reader of an old state
      await new Promise<void>((r) => gates.push(r));
      return doc;
    },
    list: inner.list.bind(inner),
    getVersioned: inner.getVersioned.bind(inner),
    put: inner.put.bind(inner),
    insertIfAbsent: inner.insertIfAbsent.bind(inner),
    replaceIf: inner.replaceIf.bind(inner),
    delete: inner.delete.bind(inner),
    transaction: inner.transaction.bind(inner),
    close: inner.close.bind(inner),
    changes: inner.changes,
  };
  return { store, gates };
}

function follow(store: Store) {
  const held = new Map<string, unknown>();
  const applied: string[] = [];
  const f = new ChangeFollower(store, ['k'], {
    apply: (_kind, id, doc) => {
      applied.push(`${id}=${doc === undefined ? '-' : (doc as { v: number }).v}`);
      if (doc === undefined) held.delete(id);
      else held.set(id, doc);
    },
    heldIds: () => held.keys(),
    idOf: (_kind, doc) => String(doc.id),
  });
  return { f, held, applied };
}

test('a re-read that finishes after a newer one is not applied', async () => {
  const inner = openMemoryStore();
  const { store, gates } = gatedStore(inner);
  const { f, held, applied } = follow(store);
  await inner.put('k', 'a', { id: 'a', v: 1 });   // re-read 1 reads v1, held at its gate
  await new Promise((r) => setImmediate(r));
  await inner.put('k', 'a', { id: 'a', v: 2 });   // re-read 2 reads v2
  await new Promise((r) => setImmediate(r));
  assert.equal(gates.length, 2);
  gates[1]!();                                    // the newer finishes first
  await new Promise((r) => setImmediate(r));
  gates[0]!();                                    // then the older one
  await f.settled();
  assert.deepEqual(held.get('a'), { id: 'a', v: 2 });
  assert.deepEqual(applied, ['a=2'], 'the stale read was dropped');
  f.close();
  await inner.close();
});

test('a delete applies at once, and an older re-read in flight cannot bring the record back', async () => {
  const inner = openMemoryStore();
  const { store, gates } = gatedStore(inner);
  const { f, held } = follow(store);
  await inner.put('k', 'b', { id: 'b', v: 1 });
  await new Promise((r) => setImmediate(r));
  held.set('b', { id: 'b', v: 1 });
  await inner.delete('k', 'b');
  assert.equal(held.has('b'), false, 'dropped synchronously, before the delete call returned');
  for (const g of gates) g();
  await f.settled();
  assert.equal(held.has('b'), false);
  f.close();
  await inner.close();
});

test('own writes: applied at once unless another change of the key arrived meanwhile; settledKey waits for the re-read', async () => {
  const inner = openMemoryStore();
  const { store, gates } = gatedStore(inner);
  const { f } = follow(store);
  const before = f.generation('k', 'c');
  await inner.put('k', 'c', { id: 'c', v: 1 });
  assert.equal(f.mayApplyOwnWrite('k', 'c', before), true, 'only its own change came back');
  await inner.put('k', 'c', { id: 'c', v: 2 });
  assert.equal(f.mayApplyOwnWrite('k', 'c', before), false, 'a newer change arrived: its re-read applies instead');
  let done = false;
  const waiting = f.settledKey('k', 'c').then(() => { done = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false);
  for (const g of gates) g();
  await waiting;
  assert.equal(done, true);
  f.close();
  await inner.close();
});

test('a resync reloads: new records applied, vanished ones dropped; a closed follower stops', async () => {
  const inner = openMemoryStore();
  const { f, held, applied } = follow(inner);
  await inner.put('k', 'x', { id: 'x', v: 1 });
  await f.settled();
  held.set('ghost', { id: 'ghost', v: 0 });   // held, but no longer in the store
  applied.length = 0;
  (inner.changes as LocalChangeFeed).emitResync();
  await f.settled();
  assert.equal(held.has('ghost'), false);
  assert.deepEqual(held.get('x'), { id: 'x', v: 1 });
  assert.deepEqual(applied.sort(), ['ghost=-', 'x=1']);
  f.close();
  await inner.put('k', 'y', { id: 'y', v: 1 });
  await f.settled();
  assert.equal(held.has('y'), false, 'closed: no longer follows');
  await inner.close();
});

test('sameDocument compares content whatever the key order', () => {
  assert.ok(sameDocument({ a: 1, b: { c: 2, d: [1, 2] } }, { b: { d: [1, 2], c: 2 }, a: 1 }));
  assert.ok(sameDocument({ a: 1, u: undefined }, { a: 1 }));
  assert.ok(!sameDocument({ a: 1 }, { a: 2 }));
  assert.ok(!sameDocument({ d: [1, 2] }, { d: [2, 1] }));
});

test('a load answers only once the re-reads of records that changed while it listed are done', async () => {
  const inner = openMemoryStore();
  await inner.put('k', 'a', { id: 'a', v: 1 });
  const { store, gates } = gatedStore(inner);
  let releaseList!: () => void;
  const listGate = new Promise<void>((r) => { releaseList = r; });
  const slowList: Store = { ...store, list: async <T>(kind: string, parent?: string) => { const docs = await inner.list<T>(kind, parent); await listGate; return docs; } };
  const { f, held } = follow(slowList);
  let loaded = false;
  const loading = f.reload().then(() => { loaded = true; });
  await new Promise((r) => setImmediate(r));
  await inner.put('k', 'a', { id: 'a', v: 2 });   // changes while the load lists: its re-read waits at a gate
  releaseList();
  await new Promise((r) => setImmediate(r));
  assert.equal(loaded, false, 'the load waits for that re-read');
  assert.equal(held.has('a'), false, 'the listed (older) document was not applied');
  for (const g of gates) g();
  await loading;
  assert.deepEqual(held.get('a'), { id: 'a', v: 2 });
  f.close();
  await inner.close();
});
