import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryStore } from '../../src/store/index.ts';
import { ReplayCache } from '../../src/identity/client-assertion.ts';

const now = 1_800_000_000;

test('a jti is accepted once per (client, resource); the same assertion may serve another resource', async () => {
  const cache = new ReplayCache(openMemoryStore());
  assert.equal(await cache.claim('app', 'jti-1', 'https://webpubsub.azure.com', now + 600, now), true);
  assert.equal(await cache.claim('app', 'jti-1', 'https://WEBPUBSUB.azure.com', now + 600, now), false, 'replay refused');
  assert.equal(await cache.claim('app', 'jti-1', 'https://vault.azure.net', now + 600, now), true, 'msal-node reuses it for a second resource');
  assert.equal(await cache.claim('other-app', 'jti-1', 'https://webpubsub.azure.com', now + 600, now), true);
});

test('a restart does not reopen the window: entries come back from the store; expired ones are dropped', async () => {
  const store = openMemoryStore();
  const before = new ReplayCache(store);
  assert.equal(await before.claim('app', 'live', 'r', now + 600, now), true);
  assert.equal(await before.claim('app', 'old', 'r', now - 400, now - 1000), true);
  const after = new ReplayCache(store);
  await after.load(now);
  assert.equal(await after.claim('app', 'live', 'r', now + 600, now), false, 'still refused after the restart');
  assert.equal(await after.claim('app', 'old', 'r', now + 600, now), true, 'expired entries are forgotten');
  assert.equal((await store.list('identity.assertionJti')).length, 2);
});

test('the cache stays bounded', async () => {
  const cache = new ReplayCache(undefined, 10);
  for (let i = 0; i < 50; i++) assert.equal(await cache.claim('app', `j${i}`, 'r', now + 600, now), true);
  assert.equal(await cache.claim('app', 'j49', 'r', now + 600, now), false, 'recent entries are kept');
});
