// Two ResourceRegistry instances over ONE store stand in for two nodes sharing PostgreSQL (the
// SQLite store's change feed is in-process): what A writes is what B serves, right after A's write
// resolves; names are claimed once across nodes; access keys are sealed at rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ResourceRegistry, WEBPUBSUB_TYPE, generateAccessKey, webPubSubId, type ResourceRecord } from '../../src/control/index.ts';
import { PostgresStore, createSealer, openMemoryStore, type Store } from '../../src/store/index.ts';
import { createThrowawayDatabase, postgresUnavailable } from '../helpers/services.ts';
import { KEY_VAULT_TYPE } from '../../src/vault/index.ts';
import { startTestLapis } from '../helpers/lapis.ts';
import { Arm } from './support.ts';
import { miToken } from '../access/arm-harness.ts';

const SUB = '7a7a7a7a-0000-4000-8000-000000000001';
const sealer = createSealer(randomBytes(32));
const pgSkip = await postgresUnavailable();

function record(name: string): ResourceRecord {
  return {
    type: WEBPUBSUB_TYPE, id: webPubSubId(SUB, 'rg', name), name, resourceGroup: 'rg', subscriptionId: SUB, tenantId: SUB, location: 'local',
    ports: {}, declaredPorts: {}, accessKeys: { primaryKey: generateAccessKey(), secondaryKey: generateAccessKey() },
    identity: { type: 'None' }, limits: {}, internalKey: generateAccessKey(), properties: { disableLocalAuth: false }, hubs: {},
  };
}

async function twoNodes(store: Store = openMemoryStore()) {
  const A = new ResourceRegistry(store, { sealer });
  const B = new ResourceRegistry(store, { sealer });
  await A.load();
  await B.load();
  return { store, A, B, close: async () => { A.close(); B.close(); await store.close(); } };
}

test('a resource created through A appears in B; re-keyed through A, B has the new key; deleted, it is gone from B', async () => {
  const { A, B, close } = await twoNodes();
  const events = { A: [] as string[], B: [] as string[] };
  A.onServices({ added: (r) => events.A.push(`+${r.name}`), removed: (r) => events.A.push(`-${r.name}`) });
  B.onServices({ added: (r) => events.B.push(`+${r.name}`), removed: (r) => events.B.push(`-${r.name}`) });

  await A.webPubSub.put(record('shared'));
  assert.equal(B.webPubSub.get('SHARED')?.name, 'shared', 'B serves it right after the write resolves');
  assert.equal(B.nameTakenBy('shared'), WEBPUBSUB_TYPE);

  const before = B.webPubSub.get('shared')!.accessKeys;
  const next = await A.regenerateKey('shared', 'Primary');
  assert.notEqual(next.accessKeys.primaryKey, before.primaryKey);
  assert.deepEqual(B.webPubSub.get('shared')!.accessKeys, next.accessKeys, 'B verifies with the new primary key (and the unchanged secondary)');
  assert.deepEqual((await B.webPubSub.fresh('shared'))!.accessKeys, next.accessKeys, 'fresh: after any announced change is re-read');

  // Both nodes regenerate at once, one key each: compare-and-swap keeps both changes.
  const [p, s] = await Promise.all([A.regenerateKey('shared', 'Primary'), B.regenerateKey('shared', 'Secondary')]);
  await A.settled();
  await B.settled();
  for (const node of [A, B]) {
    const keys = node.webPubSub.get('shared')!.accessKeys;
    assert.equal(keys.primaryKey, p.accessKeys.primaryKey);
    assert.equal(keys.secondaryKey, s.accessKeys.secondaryKey);
  }

  await A.webPubSub.delete('shared');
  assert.equal(B.webPubSub.get('shared'), undefined, 'gone from B right after the delete resolves');
  await A.settled();
  await B.settled();
  assert.deepEqual(events.A, ['+shared', '-shared'], 'start/stop hooks fire once on the writer');
  assert.deepEqual(events.B, ['+shared', '-shared'], 'and once on the other node');
  await close();
});

test('one name claimed at once through A and B: exactly one wins; deleting the resource releases it', async () => {
  const { A, B, close } = await twoNodes();
  const results = await Promise.all([A.claimName('racy', WEBPUBSUB_TYPE), B.claimName('racy', WEBPUBSUB_TYPE)]);
  assert.equal(results.filter((r) => r.claimed).length, 1);
  const lost = results.find((r) => !r.claimed);
  assert.ok(lost && !lost.claimed && lost.holderType === WEBPUBSUB_TYPE);
  // The winner creates it; another kind cannot take the name; a declared resource of that kind re-applied at start can.
  await A.webPubSub.put(record('racy'));
  assert.equal((await B.claimName('racy', KEY_VAULT_TYPE, true)).claimed, false);
  assert.equal((await B.claimName('racy', WEBPUBSUB_TYPE, true)).claimed, true);
  await B.webPubSub.delete('racy');
  assert.equal((await A.claimName('racy', KEY_VAULT_TYPE)).claimed, true, 'released with its record');
  await close();
});

test('access keys and the token-signing key are sealed at rest; plaintext rows from older data directories still work and get sealed on the next write', async () => {
  const { store, A, B, close } = await twoNodes();
  const r = record('sealed');
  await A.webPubSub.put(r);
  const raw = JSON.stringify(await store.get('control.resource', 'sealed'));
  for (const secret of [r.accessKeys.primaryKey, r.accessKeys.secondaryKey, r.internalKey]) assert.ok(!raw.includes(secret), 'no plaintext key in the stored row');
  assert.match(raw, /lapis-sealed:v1:/);
  assert.deepEqual(B.webPubSub.get('sealed')!.accessKeys, r.accessKeys, 'opened on the other node');

  // A row as an older Lapis wrote it: keys in plaintext.
  const legacy = record('legacy');
  await store.put('control.resource', 'legacy', legacy);
  assert.deepEqual(A.webPubSub.get('legacy')?.accessKeys, legacy.accessKeys, 'a plaintext row is read as it is');
  await A.regenerateKey('legacy', 'Secondary');
  const rewritten = JSON.stringify(await store.get('control.resource', 'legacy'));
  assert.ok(!rewritten.includes(legacy.accessKeys.primaryKey), 'sealed when next written');

  // A node with another master key cannot open them: its load fails loudly instead of serving wrong keys.
  const stranger = new ResourceRegistry(store, { sealer: createSealer(randomBytes(32)) });
  await assert.rejects(stranger.load(), (e: Error & { code?: string }) => e.code === 'WrongMasterKey');
  stranger.close();
  await close();
});

test('through ARM: a name another node is creating gets 409 AnotherOperationInProgress; one held by another kind, NameNotAvailable', async (t) => {
  const lapis = await startTestLapis();
  t.after(() => lapis.stop());
  const arm = new Arm(lapis);
  const resources = lapis.node.resources;
  // Another node holds the claim mid-creation (its record is not stored yet).
  assert.equal((await resources.claimName('inflight', WEBPUBSUB_TYPE)).claimed, true);
  const busy = await arm.admin('PUT', arm.path('inflight'), { location: 'local' });
  assert.equal(busy.status, 409);
  assert.equal(busy.body.error.code, 'AnotherOperationInProgress');
  assert.equal((await resources.claimName('vaultish', KEY_VAULT_TYPE)).claimed, true);
  const taken = await arm.admin('PUT', arm.path('vaultish'), { location: 'local' });
  assert.equal(taken.status, 409);
  assert.equal(taken.body.error.code, 'NameNotAvailable');
  // Released (the other creation failed): the name is free again.
  await resources.releaseName('inflight');
  const created = await arm.admin('PUT', arm.path('inflight'), { location: 'local' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const gone = await arm.admin('DELETE', arm.path('inflight'));
  assert.equal(gone.status, 200);
  assert.equal((await resources.claimName('inflight', KEY_VAULT_TYPE)).claimed, true, 'a deleted resource releases its name');
});

test('Graph alternate key: servicePrincipals(appId=…) and applications(appId=…) (used to find an app\'s principal from any node)', async (t) => {
  const lapis = await startTestLapis();
  t.after(() => lapis.stop());
  const token = await miToken(lapis, 'https://graph.microsoft.com');
  const get = async (path: string, auth = true) => {
    const res = await fetch(`${lapis.ready.httpsUrl}${path}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: await res.json() as Record<string, any> };
  };
  const admin = lapis.node.identity.directory.applications().find((a) => a.displayName === 'lapis-admin')!;
  const sp = await get(`/v1.0/servicePrincipals(appId='${admin.appId}')`);
  assert.equal(sp.status, 200, JSON.stringify(sp.body));
  assert.equal(sp.body.appId, admin.appId);
  assert.equal(sp.body.id, lapis.node.identity.directory.servicePrincipal(admin.appId)!.id);
  const app = await get(`/v1.0/applications(appId='${admin.appId.toUpperCase()}')`);
  assert.equal(app.status, 200);
  assert.equal(app.body.appId, admin.appId);
  const missing = await get(`/v1.0/servicePrincipals(appId='00000000-0000-4000-8000-000000000000')`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'Request_ResourceNotFound');
  assert.equal((await get(`/v1.0/servicePrincipals(appId='${admin.appId}')`, false)).status, 401, 'authenticated like every Graph call');
  const unknown = await get('/v1.0/groups(appId=\'x\')', false);
  assert.equal(unknown.status, 400, 'any other segment is Graph\'s unknown-segment answer');
  assert.equal(unknown.body.error.code, 'BadRequest');
});

test('on PostgreSQL, two stores (two nodes): a name claimed through both at once is claimed once; keys regenerated through both at once both land', { skip: pgSkip, timeout: 60_000 }, async (t) => {
  const db = await createThrowawayDatabase();
  const one = await PostgresStore.open(db.url);
  const two = await PostgresStore.open(db.url);
  t.after(async () => { await one.close(); await two.close(); await db.drop(); });
  const A = new ResourceRegistry(one, { sealer });
  const B = new ResourceRegistry(two, { sealer });
  await A.load();
  await B.load();
  t.after(() => { A.close(); B.close(); });
  for (let round = 0; round < 5; round++) {
    const name = `pg-race-${round}`;
    const results = await Promise.all([A.claimName(name, WEBPUBSUB_TYPE), B.claimName(name, WEBPUBSUB_TYPE)]);
    assert.equal(results.filter((r) => r.claimed).length, 1, `round ${round}: exactly one claim`);
  }
  await A.webPubSub.put(record('pg-keys'));
  for (let i = 0; i < 100 && !B.webPubSub.get('pg-keys'); i++) await new Promise((r) => setTimeout(r, 10));
  const [p, s] = await Promise.all([A.regenerateKey('pg-keys', 'Primary'), B.regenerateKey('pg-keys', 'Secondary')]);
  const stored = new ResourceRegistry(one, { sealer });
  await stored.load();
  const keys = stored.webPubSub.get('pg-keys')!.accessKeys;
  stored.close();
  assert.equal(keys.primaryKey, p.accessKeys.primaryKey, 'A\'s regeneration kept');
  assert.equal(keys.secondaryKey, s.accessKeys.secondaryKey, 'B\'s regeneration kept');
});
