/**
 * The unmodified @azure/keyvault-secrets SecretClient with an Entra credential against a Lapis vault:
 * the bearer challenge, RBAC DataActions, versions, paging, soft delete with its pollers, errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { VaultService } from '../../src/vault/index.ts';
import { OPERATOR_SECRET, READER_SECRET, TENANT, VAULT_ID, principalOf, secretClient, startHarness, within } from '../upstream/support.ts';
import type { Harness } from '../upstream/support.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
  h.rbac.grant(principalOf(h, 'kv-operator'), 'Key Vault Secrets Officer', VAULT_ID);
  h.rbac.grant(principalOf(h, 'kv-reader'), 'Key Vault Secrets User', `${VAULT_ID}/secrets/shared`);
});
after(async () => { await h.close(); });

test('the first request gets the challenge keyVaultAuthenticationPolicy expects', async () => {
  const res = await fetch(`${h.vaultUri}/secrets/anything?api-version=7.4`);
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), `Bearer authorization="${h.lapis.ready.authorityHost}/${TENANT}", resource="https://vault.azure.net"`);
  assert.deepEqual(await res.json(), { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } });
});

test('without disableChallengeResourceVerification the SDK refuses a vault that is not under *.vault.azure.net', async () => {
  const client = secretClient(h, OPERATOR_SECRET, 'kv-operator', { verifyChallenge: true });
  await assert.rejects(within(client.getSecret('x')), /does not match the requested domain/);
});

test('SecretClient (Secrets Officer) sets, reads, lists, versions, updates, deletes, recovers and purges', async () => {
  const client = secretClient(h, OPERATOR_SECRET, 'kv-operator');
  const first = await within(client.setSecret('upstream-key', 'v1', { contentType: 'text/plain', tags: { env: 'test' } }));
  assert.equal(first.value, 'v1');
  assert.equal(first.name, 'upstream-key');
  assert.equal(first.properties.vaultUrl, h.vaultUri);
  assert.match(first.properties.version!, /^[0-9a-f]{32}$/);
  assert.equal(first.properties.id, `${h.vaultUri}/secrets/upstream-key/${first.properties.version}`);
  assert.equal(first.properties.enabled, true);
  assert.ok(first.properties.createdOn instanceof Date);
  assert.equal(first.properties.recoveryLevel, 'Recoverable+Purgeable');
  assert.deepEqual(first.properties.tags, { env: 'test' });

  const second = await within(client.setSecret('upstream-key', 'v2'));
  assert.notEqual(second.properties.version, first.properties.version);
  assert.equal((await within(client.getSecret('upstream-key'))).value, 'v2');
  assert.equal((await within(client.getSecret('UPSTREAM-KEY', { version: first.properties.version! }))).value, 'v1', 'names are case-insensitive');

  const versions: string[] = [];
  for await (const p of client.listPropertiesOfSecretVersions('upstream-key')) versions.push(p.version!);
  assert.deepEqual(versions.sort(), [first.properties.version!, second.properties.version!].sort());

  // Paging: 30 secrets come back over two pages (at most 25 per page) through nextLink.
  for (let i = 0; i < 29; i++) await client.setSecret(`bulk-${String(i).padStart(2, '0')}`, `value-${i}`);
  const names: string[] = [];
  let pages = 0;
  for await (const page of client.listPropertiesOfSecrets().byPage()) {
    pages++;
    for (const p of page) names.push(p.name);
  }
  assert.equal(names.length, 30);
  assert.equal(pages, 2);
  assert.ok(names.includes('upstream-key'));

  const updated = await within(client.updateSecretProperties('upstream-key', first.properties.version!, { enabled: false, tags: { env: 'old' } }));
  assert.equal(updated.enabled, false);
  await assert.rejects(client.getSecret('upstream-key', { version: first.properties.version! }), (e: any) => e.statusCode === 403 && e.code === 'Forbidden' && /disabled secret/.test(e.message));

  const poller = await within(client.beginDeleteSecret('upstream-key', { intervalInMs: 10 }));
  const deleted = await within(poller.pollUntilDone());
  assert.equal(deleted.name, 'upstream-key');
  assert.equal(deleted.recoveryId, `${h.vaultUri}/deletedsecrets/upstream-key`);
  assert.ok(deleted.scheduledPurgeDate! > deleted.deletedOn!);
  await assert.rejects(client.getSecret('upstream-key'), (e: any) => e.statusCode === 404 && e.code === 'SecretNotFound');
  await assert.rejects(client.setSecret('upstream-key', 'v3'), (e: any) => e.statusCode === 409 && e.details?.error?.innerError?.code === 'ObjectIsDeletedButRecoverable');
  const listedDeleted: string[] = [];
  for await (const d of client.listDeletedSecrets()) listedDeleted.push(d.name);
  assert.deepEqual(listedDeleted, ['upstream-key']);
  assert.equal((await client.getDeletedSecret('upstream-key')).name, 'upstream-key');

  const recover = await within(client.beginRecoverDeletedSecret('upstream-key', { intervalInMs: 10 }));
  await within(recover.pollUntilDone());
  assert.equal((await client.getSecret('upstream-key')).value, 'v2');

  await within((await client.beginDeleteSecret('upstream-key', { intervalInMs: 10 })).pollUntilDone());
  await within(client.purgeDeletedSecret('upstream-key'));
  await assert.rejects(client.getDeletedSecret('upstream-key'), (e: any) => e.statusCode === 404);
  const again = await within(client.setSecret('upstream-key', 'fresh'));
  assert.equal(again.value, 'fresh');

  await assert.rejects(client.backupSecret('upstream-key'), (e: any) => e.statusCode === 501 && e.code === 'NotImplemented');
});

test('RBAC: Secrets User may read only where assigned; others get Key Vault\'s 403 ForbiddenByRbac', async () => {
  const officer = secretClient(h, OPERATOR_SECRET, 'kv-operator');
  await officer.setSecret('shared', 'for readers');
  await officer.setSecret('private', 'not for readers');
  const reader = secretClient(h, READER_SECRET, 'kv-reader');
  assert.equal((await within(reader.getSecret('shared'))).value, 'for readers');
  await assert.rejects(reader.getSecret('private'), (e: any) => {
    assert.equal(e.statusCode, 403);
    assert.equal(e.code, 'Forbidden');
    assert.equal(e.details?.error?.innerError?.code, 'ForbiddenByRbac');
    assert.match(e.message, /Action: 'Microsoft\.KeyVault\/vaults\/secrets\/getSecret\/action'/);
    assert.match(e.message, new RegExp(`oid=${principalOf(h, 'kv-reader')}`));
    return true;
  });
  await assert.rejects(reader.setSecret('shared', 'overwrite'), (e: any) => e.statusCode === 403 && /setSecret\/action/.test(e.message));
  const last = h.rbac.checks.at(-1)!;
  assert.equal(last.action, 'Microsoft.KeyVault/vaults/secrets/setSecret/action');
  assert.equal(last.scope, `${VAULT_ID}/secrets/shared`);
});

test('tokens for another audience, bad api-versions and plain HTTP are refused with Key Vault\'s errors', async () => {
  const app = h.lapis.node.identity.directory.findApplication('kv-operator')!;
  const cred = new ClientSecretCredential(TENANT, app.appId, OPERATOR_SECRET, { authorityHost: h.lapis.ready.authorityHost, disableInstanceDiscovery: true });
  const wrong = (await cred.getToken('https://webpubsub.azure.com/.default'))!.token;
  const res = await fetch(`${h.vaultUri}/secrets/shared?api-version=7.4`, { headers: { Authorization: `Bearer ${wrong}` } });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate')!, /^Bearer authorization=/);
  assert.match(((await res.json()) as any).error.message, /AKV10022: Invalid audience/);

  const good = (await cred.getToken('https://vault.azure.net/.default'))!.token;
  const bad = await fetch(`${h.vaultUri}/secrets/shared?api-version=9.9`, { headers: { Authorization: `Bearer ${good}` } });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as any).error.code, 'BadParameter');
  const missing = await fetch(`${h.vaultUri}/secrets/shared`, { headers: { Authorization: `Bearer ${good}` } });
  assert.equal(missing.status, 400);
  for (const v of ['7.0', '7.4', '7.6', '2025-07-01', '2026-04-01']) {
    const ok = await fetch(`${h.vaultUri}/secrets/shared?api-version=${v}`, { headers: { Authorization: `Bearer ${good}` } });
    assert.equal(ok.status, 200, v);
  }
  const badName = await fetch(`${h.vaultUri}/secrets/bad_name?api-version=7.4`, { headers: { Authorization: `Bearer ${good}` } });
  assert.equal(badName.status, 400);
  const keys = await fetch(`${h.vaultUri}/keys?api-version=7.4`, { headers: { Authorization: `Bearer ${good}` } });
  assert.equal(keys.status, 501);
  assert.match(((await keys.json()) as any).error.message, /secrets only/);
  const big = await fetch(`${h.vaultUri}/secrets/big?api-version=7.4`, {
    method: 'PUT', headers: { Authorization: `Bearer ${good}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ value: 'x'.repeat(30 * 1024) }),
  });
  assert.equal(big.status, 400);
  assert.match(((await big.json()) as any).error.message, /maximum size/);

  // A vault mounted on plain HTTP refuses requests (bearer tokens need TLS).
  const { openListener } = await import('../../src/server/listeners.ts');
  const plain = await openListener({ name: 'kv-http', host: '127.0.0.1', port: 0, log: h.log });
  const service = new VaultService({
    name: 'kv-1', resourceId: VAULT_ID, tenantId: TENANT, vaultUri: () => `http://127.0.0.1:${plain.port}`, store: h.store,
    verifier: h.lapis.node.identity.verifier, authorityHost: h.lapis.ready.authorityHost, authorize: h.rbac.authorize, log: h.log,
  });
  service.mount(plain.app);
  await plain.app.ready();
  try {
    const r = await fetch(`http://127.0.0.1:${plain.port}/secrets/shared?api-version=7.4`, { headers: { Authorization: `Bearer ${good}` } });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as any).error.message, /requires HTTPS/);
  } finally {
    await service.close();
    await plain.close();
  }
});

test('secrets persist in the store and declared secrets apply idempotently', async () => {
  const other = new VaultService({
    name: 'kv-1', resourceId: VAULT_ID, tenantId: TENANT, vaultUri: () => h.vaultUri, store: h.store,
    verifier: h.lapis.node.identity.verifier, authorityHost: h.lapis.ready.authorityHost, authorize: h.rbac.authorize, log: h.log,
  });
  const changed: string[] = [];
  other.onSecretChanged((n) => changed.push(n));
  await other.applyDeclaredSecrets([{ name: 'declared', value: 'one' }]);
  await other.applyDeclaredSecrets([{ name: 'declared', value: 'one' }]);
  assert.deepEqual(changed, ['declared'], 'the same value again makes no new version');
  await other.applyDeclaredSecrets([{ name: 'declared', value: 'two' }]);
  assert.deepEqual(changed, ['declared', 'declared']);
  await other.close();
  // The running vault reads from the same store only at start: a fresh one sees everything.
  const fresh = new VaultService({
    name: 'kv-1', resourceId: VAULT_ID, tenantId: TENANT, vaultUri: () => h.vaultUri, store: h.store,
    verifier: h.lapis.node.identity.verifier, authorityHost: h.lapis.ready.authorityHost, authorize: h.rbac.authorize, log: h.log,
  });
  await fresh.applyDeclaredSecrets([]);
  const { openListener } = await import('../../src/server/listeners.ts');
  const l = await openListener({ name: 'kv-2', host: '127.0.0.1', port: 0, tls: h.tls, log: h.log });
  fresh.mount(l.app);
  await l.app.ready();
  try {
    const app = h.lapis.node.identity.directory.findApplication('kv-operator')!;
    const cred = new ClientSecretCredential(TENANT, app.appId, OPERATOR_SECRET, { authorityHost: h.lapis.ready.authorityHost, disableInstanceDiscovery: true });
    const client = new SecretClient(`https://localhost:${l.port}`, cred, { disableChallengeResourceVerification: true });
    const s = await within(client.getSecret('declared'));
    assert.equal(s.value, 'two');
    const versions: string[] = [];
    for await (const v of client.listPropertiesOfSecretVersions('declared')) versions.push(v.version!);
    assert.equal(versions.length, 2);
  } finally {
    await fresh.close();
    await l.close();
  }
});
