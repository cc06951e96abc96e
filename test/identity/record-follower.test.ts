// The directory's change-feed follower: re-reads that finish out of order never put an older
// document back, a delete wins over a re-read still in flight, and a writer's refresh waits for
// the newest re-read of its record. A fake store lets the test decide when each read returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalChangeFeed, type Store } from '../../src/store/index.ts';
import { RecordFollower } from '../../src/identity/record-follower.ts';

interface PendingRead { id: string; resolve(doc: unknown): void }

function fakeStore(): { store: Store; feed: LocalChangeFeed; reads: PendingRead[] } {
  const feed = new LocalChangeFeed();
  const reads: PendingRead[] = [];
  const store = {
    changes: feed,
    get: (_kind: string, id: string) => new Promise((resolve) => { reads.push({ id, resolve }); }),
    list: async () => [],
  } as unknown as Store;
  return { store, feed, reads };
}

async function started(store: Store) {
  const view = new Map<string, unknown>();
  const follower = new RecordFollower({
    store, kinds: ['k'],
    apply: (_kind, id, doc) => { if (doc === undefined) view.delete(id); else view.set(id, doc); },
    reloadAll: async () => {},
  });
  await follower.start();
  return { view, follower };
}

const tick = () => new Promise((r) => setImmediate(r));

test('re-reads finishing out of order: only the newest one is applied', async () => {
  const { store, feed, reads } = fakeStore();
  const { view } = await started(store);
  feed.emit({ op: 'put', kind: 'k', id: 'x' });
  feed.emit({ op: 'put', kind: 'k', id: 'x' });
  assert.equal(reads.length, 2);
  reads[1]!.resolve({ v: 2 });
  await tick();
  assert.deepEqual(view.get('x'), { v: 2 });
  reads[0]!.resolve({ v: 1 });
  await tick();
  assert.deepEqual(view.get('x'), { v: 2 }, 'the older read does not overwrite the newer');
});

test('a delete applies at once and outranks a re-read still in flight', async () => {
  const { store, feed, reads } = fakeStore();
  const { view } = await started(store);
  feed.emit({ op: 'put', kind: 'k', id: 'x' });
  feed.emit({ op: 'delete', kind: 'k', id: 'x' });
  assert.equal(view.has('x'), false);
  reads[0]!.resolve({ v: 1 });
  await tick();
  assert.equal(view.has('x'), false, 'the deleted record does not come back');
});

test('a writer\'s refresh resolves once the newest re-read of its record is applied', async () => {
  const { store, feed, reads } = fakeStore();
  const { view, follower } = await started(store);
  let done = false;
  const refreshing = follower.refresh('k', 'x').then(() => { done = true; });
  feed.emit({ op: 'put', kind: 'k', id: 'x' });        // another node wrote meanwhile
  reads[0]!.resolve({ v: 1 });
  await tick();
  assert.equal(done, false, 'still waiting: a newer read is in flight');
  assert.equal(view.has('x'), false, 'and the superseded read was not applied');
  reads[1]!.resolve({ v: 2 });
  await refreshing;
  assert.deepEqual(view.get('x'), { v: 2 });
});

test('changes of other kinds are not followed; a stopped follower applies nothing new', async () => {
  const { store, feed, reads } = fakeStore();
  const { follower } = await started(store);
  feed.emit({ op: 'put', kind: 'other', id: 'x' });
  assert.equal(reads.length, 0);
  follower.stop();
  feed.emit({ op: 'put', kind: 'k', id: 'x' });
  assert.equal(reads.length, 0);
});
