/**
 * The PostgreSQL store against the shared suite (store-contract.ts), on a throwaway database,
 * plus what only it has: opening by URL, migrations under a lock, its errors, the pool.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openStore, PostgresStore, PostgresStoreError, type Store } from '../../src/store/index.ts';
import { createThrowawayDatabase, postgresUnavailable, type ThrowawayDatabase } from '../helpers/services.ts';
import { storeContract } from './store-contract.ts';

const skip = await postgresUnavailable();
let db: ThrowawayDatabase | undefined;

before(async () => { if (!skip) db = await createThrowawayDatabase(); });
after(async () => { await db?.drop(); });

/** Runs SQL on the test database as an outside observer (or an administrator). */
async function admin<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: db!.url });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

storeContract({
  name: 'PostgreSQL',
  skip,
  async open() {
    const s = await PostgresStore.open(db!.url);
    await admin('DELETE FROM lapis_objects');
    return s;
  },
});

const isCode = (code: string) => (e: unknown) => e instanceof PostgresStoreError && e.code === code;

test('openStore refuses URLs that are too long or not PostgreSQL, before connecting', async () => {
  const dataDir = '/nonexistent';
  await assert.rejects(openStore({ url: `postgresql://h/${'x'.repeat(2048)}`, dataDir }), isCode('StoreUrlInvalid'));
  await assert.rejects(openStore({ url: 'mysql://h/db', dataDir }), isCode('StoreUrlInvalid'));
  await assert.rejects(openStore({ url: 'lapis.db', dataDir }), isCode('StoreUrlInvalid'));
  await assert.rejects(openStore({ url: 'postgresql://us er:p@ss@[::1/db', dataDir }), isCode('StoreUrlInvalid'));
});

test('an unreachable database fails the open with StoreUnreachable, naming the URL without its password', async () => {
  const url = 'postgres://lapis:hunter2@127.0.0.1:1/lapis';
  await assert.rejects(openStore({ url, dataDir: '/nonexistent', connectTimeoutMs: 2000 }), (e: unknown) => {
    assert.ok(isCode('StoreUnreachable')(e), String(e));
    const message = (e as Error).message;
    assert.match(message, /postgres:\/\/lapis:\*\*\*@127\.0\.0\.1:1\/lapis/);
    assert.doesNotMatch(message, /hunter2/);
    return true;
  });
});

test('a wrong password fails the open with StoreUnreachable', { skip: skip ?? false }, async () => {
  const url = new URL(db!.url);
  url.password = 'wrong-password';
  await assert.rejects(openStore({ url: url.toString(), dataDir: '/nonexistent' }), (e: unknown) =>
    isCode('StoreUnreachable')(e) && !(e as Error).message.includes('wrong-password'));
});

test('nodes opening one database at once migrate it once', { skip: skip ?? false }, async () => {
  const fresh = await createThrowawayDatabase();
  const stores: Store[] = [];
  try {
    stores.push(...await Promise.all([1, 2, 3, 4].map(() => openStore({ url: fresh.url, dataDir: '/nonexistent' }))));
    const c = new pg.Client({ connectionString: fresh.url });
    await c.connect();
    const rows = (await c.query('SELECT version FROM lapis_migrations ORDER BY version')).rows;
    await c.end();
    assert.deepEqual(rows.map((r) => r.version), [1, 2]);
    await stores[0]!.put('k', 'a', 1);
    assert.equal(await stores[3]!.get('k', 'a'), 1);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await fresh.drop();
  }
});

test('a database whose tables Lapis cannot migrate fails the open with StoreMigrationFailed, and nothing half-done stays', { skip: skip ?? false }, async () => {
  const odd = await createThrowawayDatabase();
  try {
    const c = new pg.Client({ connectionString: odd.url });
    await c.connect();
    await c.query('CREATE TABLE lapis_objects (something_else INTEGER)');
    await c.end();
    await assert.rejects(openStore({ url: odd.url, dataDir: '/nonexistent' }), (e: unknown) =>
      isCode('StoreMigrationFailed')(e) && /parent|kind/.test((e as Error).message));
    const check = new pg.Client({ connectionString: odd.url });
    await check.connect();
    const tables = (await check.query("SELECT to_regclass('lapis_migrations') AS t")).rows[0];
    await check.end();
    assert.equal(tables.t, null, 'the failed migration was rolled back as a whole');
  } finally {
    await odd.drop();
  }
});

test('a statement the database refuses fails with StoreQueryFailed, a document without JSON form with StoreDocumentInvalid; a transaction that swallowed one cannot commit', { skip: skip ?? false }, async () => {
  const s = await PostgresStore.open(db!.url);
  try {
    await assert.rejects(s.put('k', 'nul\u0000id', 1), isCode('StoreQueryFailed'));
    await assert.rejects(s.put('k', 'big', { n: 1n }), isCode('StoreDocumentInvalid'));
    await assert.rejects(s.insertIfAbsent('k', 'undef', undefined), isCode('StoreDocumentInvalid'));
    const seen: string[] = [];
    s.changes.subscribe((c) => seen.push(c.id));
    await assert.rejects(s.transaction(async (tx) => {
      await tx.put('k', 'kept?', 1);
      await tx.put('k', 'nul\u0000id', 1).catch(() => {});
    }), isCode('StoreTransactionAborted'));
    assert.equal(await s.get('k', 'kept?'), undefined);
    assert.deepEqual(seen, []);
    await s.put('k', 'fine', 1);
    assert.deepEqual(seen, ['fine'], 'the connection went back to the pool usable');
  } finally {
    await s.close();
  }
});

test('a closed store refuses calls with StoreClosed', { skip: skip ?? false }, async () => {
  const s = await PostgresStore.open(db!.url);
  await s.close();
  await assert.rejects(s.get('k', 'a'), isCode('StoreClosed'));
  await assert.rejects(s.put('k', 'a', 1), isCode('StoreClosed'));
  await assert.rejects(s.transaction(async () => {}), isCode('StoreClosed'));
  await s.close();
});

test('transactions run side by side on separate connections; outsiders see nothing until commit', { skip: skip ?? false }, async () => {
  const s = await PostgresStore.open(db!.url);
  try {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let inside!: () => void;
    const written = new Promise<void>((r) => { inside = r; });
    const slow = s.transaction(async (tx) => {
      await tx.put('iso', 'pending', 1);
      inside();
      await gate;
    });
    await written;
    assert.equal(await s.get('iso', 'pending'), undefined, 'a plain read does not see the open transaction');
    await s.transaction(async (tx) => { await tx.put('iso', 'other', 2); });
    assert.equal(await s.get('iso', 'other'), 2, 'another transaction committed while the first was open');
    release();
    await slow;
    assert.equal(await s.get('iso', 'pending'), 1);
  } finally {
    await s.close();
  }
});
