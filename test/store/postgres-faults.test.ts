/**
 * The PostgreSQL store when the server drops its connections (pg_terminate_backend from an
 * administrator's session): the LISTEN connection comes back and caches are told to resync; the
 * pool replaces dead connections; an interrupted transaction fails cleanly. Nothing crashes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStoreError } from '../../src/store/index.ts';
import { postgresUnavailable } from '../helpers/services.ts';
import { FeedRecorder, terminateBackends, twoNodes } from './pg-helpers.ts';

const skip = (await postgresUnavailable()) ?? false;
const nodes = twoNodes(skip);

test('a killed LISTEN connection reconnects and asks for a resync; the feed then works again both ways', { skip }, async () => {
  const onA = new FeedRecorder(nodes.a, ['feed']);
  const onB = new FeedRecorder(nodes.b, ['feed']);
  try {
    assert.equal(await terminateBackends(nodes.url, 'lapis-a-listen'), 1);
    // Whether or not node A has noticed yet, its own write reaches its own subscribers before it returns.
    await nodes.a.put('feed', 'during-outage', 1);
    assert.ok(onA.ids().includes('put feed/during-outage'));
    await onA.until('a resync after reconnecting', () => onA.resyncs >= 1);
    assert.equal(onB.resyncs, 0, 'the other node kept its connection and has nothing to reload');

    await nodes.b.put('feed', 'after-b', 1);
    await onA.received('put', 'feed', 'after-b');
    await nodes.a.put('feed', 'after-a', 1);
    await onB.received('put', 'feed', 'after-a');
    assert.ok(onA.ids().includes('put feed/after-a'), 'node A hears itself through the new connection');
  } finally {
    onA.stop();
    onB.stop();
  }
});

test('the pool survives the termination of its connections: the next calls work', { skip }, async () => {
  // Several connections in the pool, idle when they are killed.
  const warmUp = () => Promise.all(Array.from({ length: 6 }, () => nodes.a.transaction(async (tx) => tx.get('pool', 'seed'))));
  await nodes.a.put('pool', 'seed', 0);

  await warmUp();
  assert.ok(await terminateBackends(nodes.url, 'lapis-a') >= 2);
  await nodes.a.transaction(async (tx) => { await tx.put('pool', 'in-tx', 3); });
  assert.equal(await nodes.b.get('pool', 'in-tx'), 3);

  await warmUp();
  assert.ok(await terminateBackends(nodes.url, 'lapis-a') >= 2);
  assert.equal(await nodes.a.get('pool', 'seed'), 0);
  await nodes.a.put('pool', 'after', 1);
  assert.deepEqual(await nodes.a.list('pool'), [1, 3, 0]);

  await warmUp();
  assert.ok(await terminateBackends(nodes.url, 'lapis-a') >= 2);
  assert.equal(await nodes.a.insertIfAbsent('pool', 'new', 2), true, 'a write first after the kill');
  assert.equal(await nodes.b.get('pool', 'new'), 2);
});

test('a transaction whose connection is killed fails with a store error and leaves nothing behind', { skip }, async () => {
  const onB = new FeedRecorder(nodes.b, ['cut']);
  try {
    await assert.rejects(nodes.a.transaction(async (tx) => {
      await tx.put('cut', 'lost', 1);
      await terminateBackends(nodes.url, 'lapis-a');
      await tx.put('cut', 'lost-too', 2);
    }), (e: unknown) => e instanceof PostgresStoreError && e.code === 'StoreUnavailable');
    assert.equal(await nodes.a.get('cut', 'lost'), undefined);
    await nodes.a.put('cut', 'marker', 0);
    await onB.received('put', 'cut', 'marker');
    assert.deepEqual(onB.ids(), ['put cut/marker'], 'nothing of the interrupted transaction was announced');
  } finally {
    onB.stop();
  }
});
