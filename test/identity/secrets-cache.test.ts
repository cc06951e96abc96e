// The remembered scrypt checks (an LRU of successful checks, so a busy client does not pay scrypt
// per token) never change an answer: a wrong text is refused even for a remembered hash, and
// more hashes than the LRU holds still verify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashSecret, verifySecret } from '../../src/identity/secrets.ts';
import { checkPasswordCredentials } from '../../src/identity/client-secret-check.ts';
import type { Application, PasswordCredential } from '../../src/identity/model.ts';
import { ReplayCache } from '../../src/identity/replay-cache.ts';

test('scrypt secrets: right text verifies (then from memory), wrong text is refused even when remembered', async () => {
  const stored = await hashSecret('Correct-horse-battery-1', false);
  assert.match(stored, /^scrypt\$/);
  assert.equal(await verifySecret('Correct-horse-battery-1', stored), true);
  assert.equal(await verifySecret('Correct-horse-battery-1', stored), true, 'remembered');
  assert.equal(await verifySecret('Correct-horse-battery-2', stored), false, 'a remembered hash still refuses another text');
  const generated = await hashSecret('generated-secret', true);
  assert.equal(await verifySecret('generated-secret', generated), true);
  assert.equal(await verifySecret('other', generated), false);
});

test('password credentials: the answer does not depend on their order (remembered ones are judged first)', async () => {
  const now = Date.now();
  const cred = (secretHash: string, endDateTime?: string): PasswordCredential => ({ keyId: secretHash.slice(-8), hint: 'abc', secretHash, startDateTime: new Date(now - 60_000).toISOString(), endDateTime });
  const past = new Date(now - 1000).toISOString();
  const text = 'Rotated-secret-text-1';
  const expiredRemembered = cred(await hashSecret(text, false), past);
  assert.equal(await verifySecret(text, expiredRemembered.secretHash), true); // now remembered
  const currentUnknown = cred(await hashSecret(text, false));
  const other = cred(await hashSecret('Another-secret-text-2', false));
  const generated = cred(await hashSecret('generated-2', true));
  const app = (creds: PasswordCredential[]) => ({ passwordCredentials: creds }) as unknown as Application;
  for (const creds of [[expiredRemembered, currentUnknown, other], [other, currentUnknown, expiredRemembered]]) {
    assert.equal(await checkPasswordCredentials(app(creds), text, now), 'ok', 'a current match wins over an expired remembered one');
  }
  assert.equal(await checkPasswordCredentials(app([other, expiredRemembered, generated]), text, now), 'expired');
  assert.equal(await checkPasswordCredentials(app([other, expiredRemembered, generated]), 'generated-2', now), 'ok');
  assert.equal(await checkPasswordCredentials(app([other, generated]), 'nothing-like-it', now), 'wrong');
});

test('replay cache: entries leave memory once expired (ttl), and a claim is refused only while live', async () => {
  const cache = new ReplayCache(undefined, 100);
  const now = Math.floor(Date.now() / 1000);
  // exp such that the entry lives until now + 1 s (exp + 300 s skew).
  assert.equal(await cache.claim('app', 'short', 'r', now - 299, now), true);
  assert.equal(await cache.claim('app', 'short', 'r', now - 299, now), false);
  assert.equal(cache.size, 1);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(await cache.claim('app', 'short', 'r', now + 600), true, 'expired entries are forgotten');
});
