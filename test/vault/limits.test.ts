/**
 * The vault stays bounded under abuse: each secret version is its own record (a set writes one
 * version and a small header, whatever the count), the version count has a limit with an
 * Azure-shaped refusal, legacy one-document secrets are migrated, and expired deleted secrets are
 * swept at most once per interval (but hidden at once).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { openListener } from '../../src/server/listeners.ts';
import { MAX_VERSIONS, VaultError, VaultService } from '../../src/vault/index.ts';
import { SECRET_KIND, SECRET_VERSION_KIND, SecretRepository } from '../../src/vault/secrets.ts';
import { OPERATOR_SECRET, TENANT, VAULT_ID, principalOf, startHarness, type Harness } from '../upstream/support.ts';

const dirs: string[] = [];
function tempStore(): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-vault-'));
  dirs.push(dir);
  return new SqliteStore(join(dir, 'store.db'));
}
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

test(`a secret keeps at most ${MAX_VERSIONS} versions, each its own record; the header stays small`, async () => {
  const store = tempStore();
  const repo = new SecretRepository(store, VAULT_ID);
  await repo.load();
  for (let i = 0; i < MAX_VERSIONS; i++) await repo.set('busy', { value: `value-${i}-${'x'.repeat(100)}` });
  const secretId = `${VAULT_ID.toLowerCase()}/secrets/busy`;
  assert.equal((await store.list(SECRET_VERSION_KIND, secretId)).length, MAX_VERSIONS);
  const header = await store.get<Record<string, unknown>>(SECRET_KIND, secretId);
  assert.ok(JSON.stringify(header).length < 1024, 'the header does not grow with the versions');
  assert.equal(header!.versionCount, MAX_VERSIONS);
  await assert.rejects(repo.set('busy', { value: 'one more' }), (e: unknown) => {
    assert.ok(e instanceof VaultError);
    assert.deepEqual(e.body(), { error: { code: 'BadParameter', message: e.message, innererror: { code: 'TooManyVersions' } } });
    assert.equal(e.status, 400);
    return true;
  });
  const versions = await repo.versions('BUSY');
  assert.equal(versions.length, MAX_VERSIONS);
  assert.equal((await repo.readVersion('busy'))!.value.startsWith(`value-${MAX_VERSIONS - 1}-`), true);
  assert.equal((await repo.readVersion('busy', versions[0]!.version))!.value.startsWith('value-0-'), true);
  // Purging removes every version record.
  await repo.softDelete('busy', 90);
  assert.equal(await repo.purge('busy'), true);
  assert.equal((await store.list(SECRET_VERSION_KIND, secretId)).length, 0);
  await store.close();
});

test('concurrent sets of one secret each get their own version and the count stays exact', async () => {
  const store = tempStore();
  const repo = new SecretRepository(store, VAULT_ID);
  await repo.load();
  await Promise.all(Array.from({ length: 20 }, (_, i) => repo.set('raced', { value: String(i) })));
  assert.equal(repo.get('raced')!.versionCount, 20);
  const seqs = (await repo.versions('raced')).map((v) => v.seq);
  assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => i));
  await store.close();
});

test('secrets stored in the one-document layout are migrated on load', async () => {
  const store = tempStore();
  const vaultId = VAULT_ID.toLowerCase();
  const v = (version: string, value: string, created: number) => ({ version, value, enabled: true, created, updated: created });
  await store.put(SECRET_KIND, `${vaultId}/secrets/old`, {
    name: 'Old', versions: [v('a'.repeat(32), 'first', 100), v('b'.repeat(32), 'second', 200)],
  }, vaultId);
  const repo = new SecretRepository(store, VAULT_ID);
  await repo.load();
  assert.equal(repo.get('old')!.name, 'Old');
  assert.equal(repo.get('old')!.versionCount, 2);
  assert.equal((await repo.readVersion('old'))!.value, 'second');
  assert.equal((await repo.readVersion('old', 'a'.repeat(32)))!.value, 'first');
  assert.equal('versions' in (await store.get<object>(SECRET_KIND, `${vaultId}/secrets/old`))!, false);
  const third = await repo.set('old', { value: 'third' });
  assert.equal(third.seq, 2);
  await store.close();
});

let h: Harness;
before(async () => {
  h = await startHarness();
  h.rbac.grant(principalOf(h, 'kv-operator'), 'Key Vault Secrets Officer', VAULT_ID);
});
after(async () => { await h?.close(); });

async function vaultOn(store: SqliteStore, options: { softDeleteRetentionInDays?: number; purgeIntervalMs?: number }) {
  const listener = await openListener({ name: 'kv-limits', host: '127.0.0.1', port: 0, tls: h.tls, log: h.log });
  const uri = `https://localhost:${listener.port}`;
  const service = new VaultService({
    name: 'kv-1', resourceId: VAULT_ID, tenantId: TENANT, vaultUri: () => uri, store,
    verifier: h.lapis.node.identity.verifier, authorityHost: h.lapis.ready.authorityHost, authorize: h.rbac.authorize, log: h.log, ...options,
  });
  service.mount(listener.app);
  await listener.app.ready();
  return { uri, close: async () => { await service.close(); await listener.close(); } };
}

async function token(): Promise<string> {
  const app = h.lapis.node.identity.directory.findApplication('kv-operator')!;
  const cred = new ClientSecretCredential(TENANT, app.appId, OPERATOR_SECRET, { authorityHost: h.lapis.ready.authorityHost, disableInstanceDiscovery: true });
  return (await cred.getToken('https://vault.azure.net/.default'))!.token;
}

test('past the version limit, the SDK gets Key Vault\'s 400 with innererror TooManyVersions', async () => {
  const store = tempStore();
  const repo = new SecretRepository(store, VAULT_ID);
  await repo.load();
  for (let i = 0; i < MAX_VERSIONS; i++) await repo.set('full', { value: String(i) });
  const v = await vaultOn(store, {});
  try {
    const app = h.lapis.node.identity.directory.findApplication('kv-operator')!;
    const cred = new ClientSecretCredential(TENANT, app.appId, OPERATOR_SECRET, { authorityHost: h.lapis.ready.authorityHost, disableInstanceDiscovery: true });
    const client = new SecretClient(v.uri, cred, { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } });
    assert.equal((await client.getSecret('full')).value, String(MAX_VERSIONS - 1));
    await assert.rejects(client.setSecret('full', 'more'), (e: any) => e.statusCode === 400 && e.code === 'BadParameter' && e.details?.error?.innerError?.code === 'TooManyVersions');
  } finally {
    await v.close();
    await store.close();
  }
});

test('an expired deleted secret is hidden at once and purged by the sweep, which runs at most once per interval', async () => {
  const store = tempStore();
  const auth = { Authorization: `Bearer ${await token()}` };
  const json = { ...auth, 'Content-Type': 'application/json' };
  // Retention 0 days: a deleted secret is past its purge date as soon as it is deleted.
  const lazy = await vaultOn(store, { softDeleteRetentionInDays: 0, purgeIntervalMs: 3_600_000 });
  const secretId = `${VAULT_ID.toLowerCase()}/secrets/gone`;
  try {
    assert.equal((await fetch(`${lazy.uri}/secrets/gone?api-version=7.4`, { method: 'PUT', headers: json, body: JSON.stringify({ value: 'v' }) })).status, 200);
    assert.equal((await fetch(`${lazy.uri}/secrets/gone?api-version=7.4`, { method: 'DELETE', headers: auth })).status, 200);
    const hidden = await fetch(`${lazy.uri}/deletedsecrets/gone?api-version=7.4`, { headers: auth });
    assert.equal(hidden.status, 404);
    const list = await (await fetch(`${lazy.uri}/deletedsecrets?api-version=7.4`, { headers: auth })).json() as { value: unknown[] };
    assert.deepEqual(list.value, []);
    assert.ok(await store.get(SECRET_KIND, secretId), 'not swept yet: the interval has not passed');
    // The name can be used again at once (the expired record is purged on the way).
    assert.equal((await fetch(`${lazy.uri}/secrets/gone?api-version=7.4`, { method: 'PUT', headers: json, body: JSON.stringify({ value: 'again' }) })).status, 200);
    assert.equal((await fetch(`${lazy.uri}/secrets/gone?api-version=7.4`, { method: 'DELETE', headers: auth })).status, 200);
  } finally {
    await lazy.close();
  }
  const eager = await vaultOn(store, { softDeleteRetentionInDays: 0, purgeIntervalMs: 0 });
  try {
    assert.ok(await store.get(SECRET_KIND, secretId));
    assert.equal((await fetch(`${eager.uri}/secrets?api-version=7.4`, { headers: auth })).status, 200);
    assert.equal(await store.get(SECRET_KIND, secretId), undefined, 'the sweep purged the expired secret');
    assert.equal((await store.list(SECRET_VERSION_KIND, secretId)).length, 0);
  } finally {
    await eager.close();
    await store.close();
  }
});
