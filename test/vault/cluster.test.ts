// Two vaults over ONE store stand in for two nodes sharing PostgreSQL (the SQLite store's change
// feed is in-process): a secret set through A is read through B; concurrent sets through both get
// their own versions with an exact count; values are sealed at rest; change listeners fire once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PostgresStore, createSealer, openMemoryStore, type Store } from '../../src/store/index.ts';
import { createThrowawayDatabase, postgresUnavailable } from '../helpers/services.ts';
import { VaultService } from '../../src/vault/index.ts';
import { SECRET_VERSION_KIND, SecretRepository } from '../../src/vault/secrets.ts';
import { createLogger } from '../../src/log/index.ts';

const VAULT = '/subscriptions/7b7b7b7b-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-shared';
const sealer = createSealer(randomBytes(32));
const pgSkip = await postgresUnavailable();

async function twoNodes(store: Store = openMemoryStore()) {
  const A = new SecretRepository(store, VAULT, { sealer });
  const B = new SecretRepository(store, VAULT, { sealer });
  await A.load();
  await B.load();
  return { store, A, B, close: async () => { A.close(); B.close(); await store.close(); } };
}

test('a secret set through A is listed and read through B; deleted, recovered and purged through B, A follows', async () => {
  const { A, B, close } = await twoNodes();
  const v1 = await A.set('Db-Password', { value: 's3cret-one', contentType: 'text/plain' });
  assert.equal(B.get('db-password')?.name, 'Db-Password', 'B lists it right after the set resolves');
  assert.equal((await B.readVersion('db-password'))?.value, 's3cret-one');
  const v2 = await A.set('db-password', { value: 's3cret-two' });
  assert.equal((await B.readVersion('db-password'))?.value, 's3cret-two', 'the new version is current on B');
  assert.equal((await B.readVersion('db-password', v1.version))?.value, 's3cret-one');
  assert.deepEqual((await B.versions('db-password')).map((v) => v.version), [v1.version, v2.version]);
  await B.softDelete('db-password', 90);
  assert.ok(A.get('db-password')?.deleted, 'deleted on A');
  await B.recover('db-password');
  assert.equal(A.get('db-password')?.deleted, undefined, 'recovered on A');
  await A.softDelete('db-password', 90);
  assert.equal(await B.purge('db-password'), true);
  assert.equal(A.get('db-password'), undefined, 'purged on A');
  await close();
});

test('concurrent sets of one secret through A and B: every set gets its own version, the count and order stay exact', async () => {
  const { A, B, close } = await twoNodes();
  const sets = Array.from({ length: 30 }, (_, i) => (i % 2 ? A : B).set('raced', { value: `value-${i}` }));
  const made = await Promise.all(sets);
  await A.settled();
  await B.settled();
  assert.equal(new Set(made.map((v) => v.version)).size, 30);
  assert.deepEqual(made.map((v) => v.seq).sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i), 'one sequence number each');
  for (const node of [A, B]) {
    const doc = node.get('raced')!;
    assert.equal(doc.versionCount, 30);
    assert.equal(doc.current.seq, 29);
    assert.equal((await node.versions('raced')).length, 30);
  }
  await close();
});

test('secret values are sealed at rest; plaintext versions from older data directories still read and get sealed when next written', async () => {
  const { store, A, B, close } = await twoNodes();
  const v = await A.set('api-key', { value: 'plain-text-must-not-appear' });
  const rows = await store.list<Record<string, unknown>>(SECRET_VERSION_KIND, `${VAULT.toLowerCase()}/secrets/api-key`);
  assert.equal(rows.length, 1);
  assert.ok(!JSON.stringify(rows).includes('plain-text-must-not-appear'), 'no plaintext value in the stored row');
  assert.match(String(rows[0]!.value), /^lapis-sealed:v1:/);
  assert.equal((await B.readVersion('api-key'))?.value, 'plain-text-must-not-appear');

  // A version row as an older Lapis wrote it.
  const versionId = `${VAULT.toLowerCase()}/secrets/api-key/${v.version}`;
  await store.put(SECRET_VERSION_KIND, versionId, { ...rows[0], value: 'legacy-plaintext' }, `${VAULT.toLowerCase()}/secrets/api-key`);
  assert.equal((await B.readVersion('api-key'))?.value, 'legacy-plaintext');
  await B.update('api-key', v.version, { enabled: false });
  const rewritten = await store.get<Record<string, unknown>>(SECRET_VERSION_KIND, versionId);
  assert.match(String(rewritten!.value), /^lapis-sealed:v1:/, 'sealed on its next write');
  assert.equal((await A.readVersion('api-key'))?.value, 'legacy-plaintext');
  await close();
});

test('a vault\'s change listeners fire once per change, on the node that wrote and on the other', async () => {
  const store = openMemoryStore();
  const log = createLogger({ level: 'silent' });
  const vault = () => new VaultService({
    name: 'kv-shared', resourceId: VAULT, tenantId: '7b7b7b7b-0000-4000-8000-000000000002', vaultUri: () => 'https://localhost:1', store, sealer,
    verifier: { verify: async () => { throw new Error('not used'); } }, authorityHost: 'https://localhost:2',
    authorize: () => ({ allowed: false }), log,
  });
  const A = vault();
  const B = vault();
  const seen = { A: [] as string[], B: [] as string[] };
  A.onSecretChanged((n) => seen.A.push(n));
  B.onSecretChanged((n) => seen.B.push(n));
  await A.applyDeclaredSecrets([{ name: 'declared', value: 'one' }]);
  await B.applyDeclaredSecrets([]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, { A: ['declared'], B: ['declared'] });
  await B.applyDeclaredSecrets([{ name: 'declared', value: 'one' }]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, { A: ['declared'], B: ['declared'] }, 'the same value again writes nothing, on either node');
  await A.close();
  await B.close();
  await store.close();
});


test('on PostgreSQL, two stores (two nodes): concurrent sets through both keep an exact count; B reads what A set', { skip: pgSkip, timeout: 60_000 }, async (t) => {
  const db = await createThrowawayDatabase();
  const one = await PostgresStore.open(db.url);
  const two = await PostgresStore.open(db.url);
  t.after(async () => { await one.close(); await two.close(); await db.drop(); });
  const A = new SecretRepository(one, VAULT, { sealer });
  const B = new SecretRepository(two, VAULT, { sealer });
  await A.load();
  await B.load();
  const made = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? A : B).set('raced', { value: `value-${i}` })));
  assert.deepEqual(made.map((v) => v.seq).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i), 'one sequence number each, across nodes');
  // The last notification may still be on its way to the node that did not write last.
  for (let i = 0; i < 200 && [A, B].some((n) => n.get('raced')?.versionCount !== 20); i++) await new Promise((r) => setTimeout(r, 10));
  for (const node of [A, B]) assert.equal(node.get('raced')?.versionCount, 20);
  await A.set('from-a', { value: 'crossed' });
  assert.equal((await B.readVersion('from-a'))?.value, 'crossed', 'B reads it right after A\'s set resolves');
  A.close();
  B.close();
});
