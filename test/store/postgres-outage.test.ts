/**
 * A node whose network to PostgreSQL fails (through a TCP proxy it connects by): calls fail with
 * a store error instead of hanging or crashing, the change feed keeps retrying, and once the
 * network is back the node listens again and resynchronises. Node B stays connected throughout.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore, PostgresStoreError } from '../../src/store/index.ts';
import { createThrowawayDatabase, postgresUnavailable, type ThrowawayDatabase } from '../helpers/services.ts';
import { DELIVERY_WAIT_MS, FeedRecorder } from './pg-helpers.ts';
import { TcpProxy } from './tcp-proxy.ts';

const skip = (await postgresUnavailable()) ?? false;
let db: ThrowawayDatabase | undefined;
let proxy: TcpProxy;
let a: PostgresStore;
let b: PostgresStore;

before(async () => {
  if (skip) return;
  db = await createThrowawayDatabase();
  const target = new URL(db.url);
  proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  a = await PostgresStore.open(viaProxy.toString(), {
    applicationName: 'lapis-a', connectTimeoutMs: 1000, statementTimeoutMs: 1000, feedHeartbeatMs: 300,
  });
  b = await PostgresStore.open(db.url, { applicationName: 'lapis-b' });
});
after(async () => {
  proxy?.cutAll();
  await a?.close();
  await b?.close();
  await proxy?.close();
  await db?.drop();
});

async function waitFor(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const unavailable = (e: unknown) => e instanceof PostgresStoreError && e.code === 'StoreUnavailable';

test('while PostgreSQL is unreachable calls fail with StoreUnavailable; afterwards the node resyncs and hears changes again', { skip }, async () => {
  const onA = new FeedRecorder(a, ['net']);
  try {
    proxy.mode = 'refuse';
    proxy.cutAll();
    await assert.rejects(a.get('net', 'x'), unavailable);
    await assert.rejects(a.put('net', 'x', 1), unavailable);
    await assert.rejects(a.transaction(async (tx) => { await tx.put('net', 'x', 1); }), unavailable);
    await b.put('net', 'missed', 1); // committed while node A cannot hear it

    proxy.mode = 'forward';
    await onA.until('a resync once the network is back', () => onA.resyncs >= 1);
    assert.equal(await a.get('net', 'missed'), 1, 'a reload after the resync finds what was missed');
    await b.put('net', 'heard', 1);
    await onA.received('put', 'net', 'heard');
  } finally {
    proxy.mode = 'forward';
    onA.stop();
  }
});

test('a LISTEN connection that goes silent without closing is found by the heartbeat and replaced', { skip }, async () => {
  const onA = new FeedRecorder(a, ['silent']);
  try {
    const resyncsBefore = onA.resyncs;
    assert.equal(a.listening, true);
    proxy.mode = 'blackhole';
    await b.put('silent', 'swallowed', 1);
    await waitFor('node A to notice its silent LISTEN connection', () => !a.listening);
    // The blackhole swallowed the reconnect attempts too; now the network is back.
    proxy.mode = 'forward';
    await onA.until('a resync after the silent connection was replaced', () => onA.resyncs > resyncsBefore);
    await b.put('silent', 'heard', 1);
    await onA.received('put', 'silent', 'heard');
  } finally {
    proxy.mode = 'forward';
    onA.stop();
  }
});
