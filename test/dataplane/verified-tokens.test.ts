/**
 * The cache of verified tokens (src/dataplane/common/verified-tokens.ts) skips only the HMAC of a
 * token text already found genuine under a key that is still offered; algorithm, keys, `exp` and
 * `nbf` are checked on every hit as on a miss.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { verifyHmacJwt, CLOCK_SKEW_SECONDS } from '../../src/dataplane/common/hmac-jwt.ts';
import { clearVerifiedTokens, MAX_VERIFIED_TOKENS, verifiedTokenCount } from '../../src/dataplane/common/verified-tokens.ts';
import { verifyHs256 } from '../../src/dataplane/webpubsub/auth/hs256.ts';

const K1 = 'primary-key-0123456789abcdefghijklmnop';
const K2 = 'secondary-key-0123456789abcdefghijklmn';
const now = Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>, key = K1, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(key));
const cached = (token: string, keys: readonly string[] | (() => readonly string[]), at = now, algorithms: ('HS256' | 'HS512')[] = ['HS256']) =>
  verifyHmacJwt(token, keys, { algorithms, now: at, cache: true }).payload;
const refused = (fn: () => unknown, reason: RegExp) => assert.throws(fn, (err: Error & { status?: number }) => {
  assert.equal(err.status, 401);
  assert.match(err.message, reason);
  return true;
});

test('a genuine token is remembered: the same text again is answered from the cache, frozen', async () => {
  clearVerifiedTokens();
  const token = await sign({ aud: 'x', exp: now + 60, role: ['a'] });
  const first = cached(token, [K1, K2]);
  assert.equal(verifiedTokenCount(), 1);
  assert.equal(cached(token, [K2, K1]), first, 'the second call returns the remembered payload');
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first.role));
  // Callers that do not ask for the cache neither read nor fill it.
  assert.notEqual(verifyHs256(token, [K1]), first);
  assert.equal(verifyHs256(token, [K1], now, undefined, true), first);
});

test('a key no longer offered (regenerated) makes a remembered token fail at once', async () => {
  clearVerifiedTokens();
  const token = await sign({ exp: now + 60 });
  cached(token, [K1, K2]);
  refused(() => cached(token, ['regenerated-primary-0123456789abcdef', K2]), /signature is invalid/);
  // The keys callback runs on a hit too (SignalR picks temporary keys there).
  let asked = 0;
  cached(token, () => { asked++; return [K1]; });
  assert.equal(asked, 1);
});

test('exp and nbf are checked on every hit; an expired entry is dropped', async () => {
  clearVerifiedTokens();
  const token = await sign({ exp: now + 60, nbf: now });
  cached(token, [K1]);
  refused(() => cached(token, [K1], now + 61 + CLOCK_SKEW_SECONDS), /expired/);
  assert.equal(verifiedTokenCount(), 0);
  cached(token, [K1]);
  refused(() => cached(token, [K1], now - CLOCK_SKEW_SECONDS - 1), /not valid yet/);
});

test('the algorithm stays pinned per caller; forgeries are never remembered', async () => {
  clearVerifiedTokens();
  const hs512 = await sign({ exp: now + 60 }, K1, 'HS512');
  cached(hs512, [K1], now, ['HS256', 'HS512']);
  refused(() => cached(hs512, [K1], now, ['HS256']), /HS256/);
  const good = await sign({ exp: now + 60 });
  refused(() => cached(`${good.slice(0, -2)}AA`, [K1]), /signature is invalid/);
  refused(() => cached(good, [K2]), /signature is invalid/);
  assert.equal(verifiedTokenCount(), 1, 'only the HS512 token');
});

test('bounded: the oldest entry goes first', async () => {
  clearVerifiedTokens();
  const tokens = await Promise.all(Array.from({ length: MAX_VERIFIED_TOKENS + 1 }, (_, i) => sign({ exp: now + 60, n: i })));
  const first = cached(tokens[0]!, [K1]);
  for (const t of tokens.slice(1)) cached(t, [K1]);
  assert.equal(verifiedTokenCount(), MAX_VERIFIED_TOKENS);
  assert.notEqual(cached(tokens[0]!, [K1]), first, 'the first token was verified again');
  clearVerifiedTokens();
});
