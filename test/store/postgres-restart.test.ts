/**
 * PostgreSQL stops and starts again under two nodes (a private server, so the shared one is left
 * alone): while it is down calls fail with StoreUnavailable and nothing crashes; once it is back
 * both nodes reconnect, resynchronise and hear each other again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore, PostgresStoreError } from '../../src/store/index.ts';
import { FeedRecorder } from './pg-helpers.ts';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from './private-postgres.ts';

const skip = privatePostgresUnavailable() ?? false;
let server: PrivatePostgres | undefined;
let a: PostgresStore;
let b: PostgresStore;

before(async () => {
  if (skip) return;
  server = await startPrivatePostgres();
  a = await PostgresStore.open(server.url, { applicationName: 'lapis-a', connectTimeoutMs: 1000 });
  b = await PostgresStore.open(server.url, { applicationName: 'lapis-b', connectTimeoutMs: 1000 });
});
after(async () => {
  await a?.close();
  await b?.close();
  server?.destroy();
});

const unavailable = (e: unknown) => e instanceof PostgresStoreError && e.code === 'StoreUnavailable';

test('a PostgreSQL restart is survived: calls fail while it is down, then both nodes resync and carry on', { skip }, async () => {
  const onA = new FeedRecorder(a, ['r']);
  const onB = new FeedRecorder(b, ['r']);
  try {
    await a.put('r', 'before', 1);
    await onB.received('put', 'r', 'before');
    // Connections in the pool that the shutdown will kill.
    await Promise.all(Array.from({ length: 4 }, () => a.transaction((tx) => tx.get('r', 'before'))));

    server!.stop();
    await assert.rejects(a.get('r', 'before'), unavailable);
    await assert.rejects(b.put('r', 'while-down', 1), unavailable);
    await assert.rejects(a.transaction(async (tx) => { await tx.put('r', 'while-down', 1); }), unavailable);

    server!.start();
    await onA.until('node A resyncs', () => onA.resyncs >= 1);
    await onB.until('node B resyncs', () => onB.resyncs >= 1);
    assert.equal(await a.get('r', 'before'), 1, 'the data survived the restart');
    await b.put('r', 'after', 2);
    await onA.received('put', 'r', 'after');
    await a.transaction(async (tx) => { await tx.put('r', 'after-tx', 3); });
    await onB.received('put', 'r', 'after-tx');
    assert.deepEqual(await b.list('r'), [2, 3, 1]);
  } finally {
    onA.stop();
    onB.stop();
  }
});
