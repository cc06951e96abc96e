// Identity across nodes (issue 13), the store side: signing keys sealed at rest (and old plain
// rows still working), uniqueness that two nodes racing cannot break, a scheduled rotation done by
// one node, and a resync that brings in what a node's feed missed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { IdentityService } from '../../src/identity/index.ts';
import { KeyRing } from '../../src/identity/signing-keys.ts';
import { createSealer, openEmbeddedStore, openMemoryStore, LocalChangeFeed } from '../../src/store/index.ts';
import { AUTHORITY, TENANT, secretGrant, startCluster, tokenRequest } from './cluster-support.ts';

const SEALED = 'lapis-sealed:v1:';
const DAY = 24 * 3600_000;

test('signing keys are stored sealed: no row of the store holds a private key in plain text', async () => {
  const c = await startCluster();
  try {
    await c.a.keys.rotate(0);
    const rows = await c.store.list<{ kid: string; privateKeyPem: string }>('identity.signingKey');
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.ok(r.privateKeyPem.startsWith(SEALED), 'sealed');
      assert.doesNotMatch(JSON.stringify(r), /PRIVATE KEY/);
      assert.equal(c.sealer.open(r.privateKeyPem, `signingKey/${r.kid}`).includes('BEGIN PRIVATE KEY'), true);
      assert.throws(() => c.sealer.open(r.privateKeyPem, 'signingKey/another-kid'), /does not open/, 'bound to its row');
    }
  } finally {
    await c.stop();
  }
});

test('a plain signing key written before sealing keeps signing, and is sealed by the next maintenance', async () => {
  const store = openMemoryStore();
  const legacy = new KeyRing(store);
  await legacy.maintain();
  const kid = legacy.current().kid;
  const [plain] = await store.list<{ privateKeyPem: string }>('identity.signingKey');
  assert.match(plain!.privateKeyPem, /BEGIN PRIVATE KEY/, 'the old, unsealed form');

  const c = await startCluster({ store });
  try {
    assert.equal(c.a.keys.current().kid, kid, 'the old key still signs');
    const [row] = await store.list<{ privateKeyPem: string }>('identity.signingKey');
    assert.ok(row!.privateKeyPem.startsWith(SEALED), 'and is sealed now');
    const app = await c.a.directory.upsertApplication(TENANT, { displayName: 'legacy', passwordCredentials: [{ secretText: 'Legacy-secret-1!' }] });
    const token = String((await tokenRequest(c.a, secretGrant(app.appId, 'Legacy-secret-1!'))).access_token);
    await c.b.verifier.verify(token, { audiences: ['https://webpubsub.azure.com'] });
  } finally {
    await c.stop();
  }
});

test('a node with another master key does not start (WrongMasterKey), rather than sign with nothing', async () => {
  const c = await startCluster();
  try {
    const stranger = new IdentityService({ store: c.store, sealer: createSealer(randomBytes(32)), authorityHost: AUTHORITY });
    await assert.rejects(stranger.start(), (err: Error & { code?: string }) => err.code === 'WrongMasterKey');
    stranger.stop();
  } finally {
    await c.stop();
  }
});

test('two nodes declaring the same app, user or secret at once end up with one of each', async () => {
  const c = await startCluster();
  try {
    const [appA, appB] = await Promise.all([c.a, c.b].map((n) => n.directory.upsertApplication(TENANT, { displayName: 'Declared Twice' })));
    assert.equal(appA!.appId, appB!.appId, 'one appId for one display name');
    assert.equal(c.a.directory.applications(TENANT).filter((x) => x.displayName === 'Declared Twice').length, 1);
    assert.equal(c.a.directory.servicePrincipals(TENANT).filter((s) => s.appId === appA!.appId).length, 1);

    const [userA, userB] = await Promise.all([c.a, c.b].map((n) => n.directory.upsertUser(TENANT, { userPrincipalName: 'eve@cluster.example', password: 'Eve-password-1!' })));
    assert.equal(userA!.id, userB!.id, 'one object id for one user principal name');

    // Two secrets added at once on two nodes: compare-and-swap keeps both.
    const added = await Promise.all([c.a, c.b].map((n) => n.directory.addPassword(appA!.appId)));
    const stored = c.b.directory.getApplication(TENANT, appA!.appId)!;
    assert.deepEqual(stored.passwordCredentials.map((p) => p.keyId).sort(), added.map((x) => x.credential.keyId).sort());
    for (const { secretText } of added) assert.equal(typeof (await tokenRequest(c.b, secretGrant(appA!.appId, secretText))).access_token, 'string');

    // A renamed app gives up its name: declaring the old name again makes a new app.
    await c.a.directory.updateApplication(appA!.appId, { displayName: 'Renamed' });
    const again = await c.b.directory.upsertApplication(TENANT, { displayName: 'Declared Twice' });
    assert.notEqual(again.appId, appA!.appId);
  } finally {
    await c.stop();
  }
});

test('a scheduled rotation is done by one node, not by every node at once', async () => {
  const store = openMemoryStore();
  const policy = { lifetimeMs: 30 * DAY, leadMs: DAY, retainMs: 2 * DAY };
  const rings = [new KeyRing(store, policy), new KeyRing(store, policy), new KeyRing(store, policy)];
  for (const r of rings) r.follow();
  const t0 = Date.now();
  await Promise.all(rings.map((r) => r.maintain(t0)));
  assert.equal((await store.list('identity.signingKey')).length, 1, 'one first key');
  const due = t0 + policy.lifetimeMs - policy.leadMs + 1;
  await Promise.all(rings.map((r) => r.maintain(due)));
  assert.equal((await store.list('identity.signingKey')).length, 2, 'one successor');
  const kids = rings.map((r) => r.jwks().keys.map((k) => k.kid).join());
  assert.equal(new Set(kids).size, 1, 'every ring publishes the same keys');
  for (const r of rings) r.stop();
});

test('a node that lost the first key\'s claim takes the winner\'s key even when it activates after its own clock', { timeout: 20_000 }, async () => {
  const store = openMemoryStore();
  const [first, second] = [new KeyRing(store), new KeyRing(store)];
  const t0 = Date.now();
  // `first` claims (it is called first) and its key activates 5 s after `second`'s idea of now.
  await Promise.all([first.maintain(t0 + 5000), second.maintain(t0)]);
  assert.equal((await store.list('identity.signingKey')).length, 1, 'still one key');
  assert.deepEqual(second.jwks().keys.map((k) => k.kid), first.jwks().keys.map((k) => k.kid));
  assert.equal(second.current(t0).kid, first.current(t0 + 5000).kid, 'and signs with it at once (the first key is back-dated a minute)');
});

test('a rotation claimed by a node that died before writing its key is taken over once the claim is stale', async () => {
  const store = openMemoryStore();
  await store.put('identity.signingKeyRotation', 'initial', { id: 'initial', by: 'a-dead-node', at: Date.now() - 120_000 });
  const ring = new KeyRing(store);
  await ring.maintain();
  assert.equal((await store.list('identity.signingKey')).length, 1, 'this node made the first key');
  assert.equal(typeof ring.current().kid, 'string');
});

test('a resync reloads what the feed missed (a node whose feed connection dropped)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-resync-'));
  // Two store objects on one database file: writes through one are not on the other's feed.
  const storeA = openEmbeddedStore(dir);
  const storeB = openEmbeddedStore(dir);
  const sealer = createSealer(randomBytes(32));
  const a = new IdentityService({ store: storeA, sealer, authorityHost: AUTHORITY });
  const b = new IdentityService({ store: storeB, sealer, authorityHost: AUTHORITY });
  try {
    await a.start();
    await a.directory.upsertTenant({ id: TENANT, isDefault: true });
    await b.start();
    const app = await a.directory.upsertApplication(TENANT, { displayName: 'missed' });
    const newKid = await a.keys.rotate(0);
    assert.equal(b.directory.getApplication(TENANT, app.appId), undefined, 'not seen: the feeds are apart');
    (storeB.changes as LocalChangeFeed).emitResync();
    await waitFor(() => b.directory.getApplication(TENANT, app.appId) !== undefined && b.keys.jwks().keys.some((k) => k.kid === newKid));
    await a.directory.deleteApplication(app.appId);
    (storeB.changes as LocalChangeFeed).emitResync();
    await waitFor(() => b.directory.getApplication(TENANT, app.appId) === undefined);
  } finally {
    a.stop();
    b.stop();
    await storeA.close();
    await storeB.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Resync work is started by a callback; this waits for its effect (bounded: a hang fails). */
async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), 'the resync was not applied within 2 s');
}
