/**
 * Two PostgresStore instances on one database stand for two nodes: each hears the other's
 * committed writes, and the atomic operations stay atomic between them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PostgresStore } from '../../src/store/index.ts';
import { postgresUnavailable } from '../helpers/services.ts';
import { FeedRecorder, sql, twoNodes } from './pg-helpers.ts';

const skip = (await postgresUnavailable()) ?? false;
const nodes = twoNodes(skip);

test('each node hears the other node\'s writes, and its own before the write returns', { skip }, async () => {
  const onA = new FeedRecorder(nodes.a, ['seen']);
  const onB = new FeedRecorder(nodes.b, ['seen']);
  try {
    await nodes.a.put('seen', 'from-a', { n: 1 }, 'parent-1');
    assert.deepEqual(onA.ids(), ['put seen/from-a'], 'the writer has its own change when put returns');
    await onB.received('put', 'seen', 'from-a');
    assert.deepEqual(onB.changes[0], { op: 'put', kind: 'seen', id: 'from-a', parent: 'parent-1' });
    assert.deepEqual(await nodes.b.get('seen', 'from-a'), { n: 1 });

    await nodes.b.delete('seen', 'from-a');
    await onA.received('delete', 'seen', 'from-a');
    assert.equal(await nodes.a.get('seen', 'from-a'), undefined);
    assert.deepEqual(onA.ids(), onB.ids(), 'both nodes saw the same changes in the same order');
  } finally {
    onA.stop();
    onB.stop();
  }
});

test('concurrent insertIfAbsent from both nodes: exactly one wins each id, and one change is announced', { skip }, async () => {
  const onB = new FeedRecorder(nodes.b, ['race']);
  try {
    const ids = Array.from({ length: 25 }, (_, i) => `id-${i}`);
    const results = await Promise.all(ids.map((id) =>
      Promise.all([nodes.a.insertIfAbsent('race', id, { by: 'a' }), nodes.b.insertIfAbsent('race', id, { by: 'b' })])));
    for (const [i, [wonA, wonB]] of results.entries()) {
      assert.equal(Number(wonA) + Number(wonB), 1, `exactly one node inserted ${ids[i]}`);
      assert.deepEqual(await nodes.a.get('race', ids[i]!), { by: wonA ? 'a' : 'b' });
    }
    await nodes.a.put('race', 'marker', 1);
    await onB.received('put', 'race', 'marker');
    assert.equal(onB.changes.length, ids.length + 1, 'one change per inserted id, none for the losers');
  } finally {
    onB.stop();
  }
});

test('compare-and-swap from both nodes: exactly one wins; counters incremented on both add up', { skip }, async () => {
  await nodes.a.put('cas', 'doc', { v: 0 });
  for (let round = 0; round < 10; round++) {
    const [va, vb] = await Promise.all([nodes.a.getVersioned<{ v: number }>('cas', 'doc'), nodes.b.getVersioned<{ v: number }>('cas', 'doc')]);
    assert.equal(va!.revision, vb!.revision);
    const [wa, wb] = await Promise.all([
      nodes.a.replaceIf('cas', 'doc', va!.revision, { v: va!.doc.v + 1 }),
      nodes.b.replaceIf('cas', 'doc', vb!.revision, { v: vb!.doc.v + 1 }),
    ]);
    assert.equal(Number(wa) + Number(wb), 1, `exactly one swap wins in round ${round}`);
  }
  assert.deepEqual(await nodes.b.get('cas', 'doc'), { v: 10 });

  await nodes.a.put('cas', 'counter', 0);
  const increment = async (node: PostgresStore) => {
    for (;;) {
      const cur = await node.getVersioned<number>('cas', 'counter');
      if (await node.replaceIf('cas', 'counter', cur!.revision, cur!.doc + 1)) return;
    }
  };
  await Promise.all(Array.from({ length: 20 }, (_, i) => increment(i % 2 ? nodes.a : nodes.b)));
  assert.equal(await nodes.a.get('cas', 'counter'), 20, 'no increment was lost between the nodes');
});

test('a transaction on one node is invisible to the other until commit; its changes arrive only after commit', { skip }, async () => {
  const onB = new FeedRecorder(nodes.b, ['tx']);
  try {
    let commit!: () => void;
    const gate = new Promise<void>((r) => { commit = r; });
    let wrote!: () => void;
    const written = new Promise<void>((r) => { wrote = r; });
    const running = nodes.a.transaction(async (tx) => {
      await tx.put('tx', 'one', 1);
      await tx.put('tx', 'two', 2);
      wrote();
      await gate;
    });
    await written;
    assert.equal(await nodes.b.get('tx', 'one'), undefined, 'the other node does not read uncommitted writes');
    assert.deepEqual(await nodes.b.list('tx'), []);
    await nodes.b.put('tx', 'marker-before', 0);
    await onB.received('put', 'tx', 'marker-before');
    assert.deepEqual(onB.ids(), ['put tx/marker-before'], 'nothing of the open transaction was announced');
    commit();
    await running;
    await onB.received('put', 'tx', 'two');
    assert.deepEqual(onB.ids(), ['put tx/marker-before', 'put tx/one', 'put tx/two']);
    assert.deepEqual(await nodes.b.list('tx'), [0, 1, 2]);

    await assert.rejects(nodes.a.transaction(async (tx) => {
      await tx.put('tx', 'rolled-back', 1);
      throw new Error('abort');
    }), /abort/);
    await nodes.a.put('tx', 'marker-after', 0);
    await onB.received('put', 'tx', 'marker-after');
    assert.ok(!onB.ids().includes('put tx/rolled-back'), 'a rolled-back write is never announced');
    assert.equal(await nodes.b.get('tx', 'rolled-back'), undefined);
  } finally {
    onB.stop();
  }
});

test('a change too large to notify becomes a resync on every node', { skip }, async () => {
  const onA = new FeedRecorder(nodes.a, ['big']);
  const onB = new FeedRecorder(nodes.b, ['big']);
  try {
    const id = 'x'.repeat(9000);
    await nodes.a.put('big', id, 1);
    assert.equal(onA.resyncs, 1, 'the writer had its resync when put returned');
    await onB.until('a resync', () => onB.resyncs > 0);
    assert.equal(onA.changes.length + onB.changes.length, 0, 'no change event: the id does not fit into a notification');
    assert.equal(await nodes.b.get('big', id), 1);
  } finally {
    onA.stop();
    onB.stop();
  }
});

test('notifications that are not Lapis\'s are ignored; the feed carries on', { skip }, async () => {
  const onB = new FeedRecorder(nodes.b);
  try {
    for (const junk of ['not json', '{"op":"drop","kind":"k","id":"x","origin":"o"}', '{"op":"put","kind":1,"id":"x","origin":"o"}', '[]', 'null']) {
      await sql(nodes.url, 'SELECT pg_notify($1, $2)', ['lapis_changes', junk]);
    }
    await nodes.a.put('after-junk', 'x', 1);
    await onB.received('put', 'after-junk', 'x');
    assert.deepEqual(onB.ids(), ['put after-junk/x']);
    assert.equal(onB.resyncs, 0);
  } finally {
    onB.stop();
  }
});
