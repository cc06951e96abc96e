import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { openMemoryStore } from '../../src/store/index.ts';
import { KeyRing } from '../../src/identity/signing-keys.ts';
import { TokenIssuer } from '../../src/identity/tokens.ts';

const DAY = 24 * 3600_000;
const policy = { lifetimeMs: 30 * DAY, leadMs: DAY, retainMs: 2 * DAY };
const request = { tenantId: 't', audience: 'https://webpubsub.azure.com', version: '1.0' as const, client: { appId: 'a', objectId: 'o', authMethod: '1' as const } };

test('a new key ring creates one key; kid equals the x5t of its certificate', async () => {
  const ring = new KeyRing(openMemoryStore(), policy);
  await ring.maintain();
  const { keys } = ring.jwks();
  assert.equal(keys.length, 1);
  assert.equal(keys[0]!.kid, keys[0]!.x5t);
  assert.equal(keys[0]!.kty, 'RSA');
  assert.ok(keys[0]!.x5c[0]!.length > 100);
  assert.equal(ring.current().kid, keys[0]!.kid);
});

test('rotation publishes the next key before it signs, and keeps the old one until its tokens expire', async () => {
  const store = openMemoryStore();
  const ring = new KeyRing(store, policy);
  const t0 = Date.now();
  await ring.maintain(t0);
  const issuer = new TokenIssuer(ring, 'https://localhost:1');
  const oldKid = ring.current(t0).kid;
  const oldToken = (await issuer.issue(request)).accessToken;

  const newKid = await ring.rotate(DAY, t0);
  assert.notEqual(newKid, oldKid);
  assert.deepEqual(ring.jwks().keys.map((k) => k.kid).sort(), [oldKid, newKid].sort(), 'both published');
  assert.equal(ring.current(t0).kid, oldKid, 'the next key does not sign before its lead time');
  assert.equal(ring.current(t0 + DAY + 1).kid, newKid, 'and signs after it');

  // After the switch the old key stays published for the retention period, so old tokens verify.
  await ring.maintain(t0 + DAY + 1);
  const jwks = createLocalJWKSet(ring.jwks() as never);
  await jwtVerify(oldToken, jwks, { algorithms: ['RS256'] });
  assert.equal(ring.jwks().keys.length, 2);

  await ring.maintain(t0 + DAY + policy.retainMs + 1);
  assert.deepEqual(ring.jwks().keys.map((k) => k.kid), [newKid], 'retired after retention');

  // A ring reloaded from the store sees the same state (restart).
  const reloaded = new KeyRing(store, policy);
  await reloaded.maintain(t0 + DAY + policy.retainMs + 2);
  assert.equal(reloaded.current(t0 + DAY + policy.retainMs + 2).kid, newKid);
});

test('scheduled rotation: a key near the end of its lifetime gets a successor', async () => {
  const ring = new KeyRing(openMemoryStore(), policy);
  const t0 = Date.now();
  await ring.maintain(t0);
  await ring.maintain(t0 + policy.lifetimeMs - policy.leadMs + 1);
  assert.equal(ring.jwks().keys.length, 2);
});

test('tokens name their key; v1 tokens carry x5t', async () => {
  const ring = new KeyRing(openMemoryStore(), policy);
  await ring.maintain();
  const issuer = new TokenIssuer(ring, 'https://localhost:1');
  const v1 = decodeProtectedHeader((await issuer.issue(request)).accessToken);
  assert.equal(v1.alg, 'RS256');
  assert.equal(v1.kid, ring.current().kid);
  assert.equal(v1.x5t, v1.kid);
  const v2 = decodeProtectedHeader((await issuer.issue({ ...request, version: '2.0' })).accessToken);
  assert.equal(v2.x5t, undefined);
});
