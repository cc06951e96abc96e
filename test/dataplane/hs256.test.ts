import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, UnsecuredJWT } from 'jose';
import { verifyHs256, CLOCK_SKEW_SECONDS } from '../../src/dataplane/webpubsub/auth/hs256.ts';

const K1 = 'primary-key-0123456789abcdefghijklmnop';
const K2 = 'secondary-key-0123456789abcdefghijklmn';
const now = Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>, key = K1, header: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header }).sign(new TextEncoder().encode(key));
const refused = (fn: () => unknown, reason: RegExp) => assert.throws(fn, (err: Error & { status?: number }) => {
  assert.equal(err.status, 401);
  assert.match(err.message, reason);
  return true;
});

test('a token signed with either access key verifies; the payload comes back', async () => {
  assert.equal(verifyHs256(await sign({ aud: 'x', exp: now + 60 }), [K1, K2]).aud, 'x');
  assert.equal(verifyHs256(await sign({ aud: 'y', exp: now + 60 }, K2), [K1, K2]).aud, 'y');
});

test('a wrong key, a tampered payload or signature, and alg none are refused', async () => {
  const good = await sign({ sub: 'a', exp: now + 60 });
  refused(() => verifyHs256(good, [K2]), /signature is invalid/);
  const [h, , s] = good.split('.');
  const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', exp: now + 60 })).toString('base64url')}.${s}`;
  refused(() => verifyHs256(tampered, [K1]), /signature is invalid/);
  refused(() => verifyHs256(`${good.slice(0, -2)}AA`, [K1]), /signature is invalid/);
  const none = new UnsecuredJWT({ sub: 'a' }).encode();
  refused(() => verifyHs256(none, [K1]), /must be signed with HS256|malformed/);
  const hs384 = await new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'HS384' }).sign(new TextEncoder().encode(K1));
  refused(() => verifyHs256(hs384, [K1]), /HS256/);
  const critHeader = Buffer.from(JSON.stringify({ alg: 'HS256', crit: ['x-lapis'], 'x-lapis': 1 })).toString('base64url');
  const critBody = Buffer.from(JSON.stringify({ sub: 'a' })).toString('base64url');
  const { createHmac } = await import('node:crypto');
  const critToken = `${critHeader}.${critBody}.${createHmac('sha256', K1).update(`${critHeader}.${critBody}`).digest('base64url')}`;
  refused(() => verifyHs256(critToken, [K1]), /malformed/);
});

test('time claims: exp is required; expired and not-yet-valid beyond five minutes of skew are refused', async () => {
  const expired = await sign({ exp: now - CLOCK_SKEW_SECONDS - 5 });
  const inSkew = await sign({ exp: now - CLOCK_SKEW_SECONDS + 30 });
  const early = await sign({ exp: now + 600, nbf: now + CLOCK_SKEW_SECONDS + 30 });
  const earlyInSkew = await sign({ exp: now + 600, nbf: now + CLOCK_SKEW_SECONDS - 30 });
  const forever = await sign({ sub: 'a' });
  refused(() => verifyHs256(forever, [K1]), /claim 'exp' is required/);
  assert.ok(verifyHs256(earlyInSkew, [K1]), 'nbf inside the skew');
  const wordy = await sign({ exp: 'tomorrow' });
  refused(() => verifyHs256(expired, [K1]), /expired/);
  assert.ok(verifyHs256(inSkew, [K1]), 'inside the skew');
  refused(() => verifyHs256(early, [K1]), /nbf/);
  refused(() => verifyHs256(wordy, [K1]), /claim 'exp'/);
});

test('malformed input is refused, never thrown as anything but a 401', () => {
  for (const bad of ['', 'a.b', 'a.b.c.d', '!!!.@@@.###', `${Buffer.from('[]').toString('base64url')}.e30.AAAA`, 'x'.repeat(20_000)]) {
    assert.throws(() => verifyHs256(bad, [K1]), (err: Error & { status?: number }) => err.status === 401, bad.slice(0, 20));
  }
});
