/**
 * Access-key tokens need a lifetime: `exp` is required, `nbf` honoured, five minutes of clock
 * skew allowed, both for REST calls and for client access tokens (raw HTTP and raw WebSocket).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { start, rawClient, PRIMARY } from './helpers.ts';

const SKEW = 300;
type Times = { exp?: number; nbf?: number };

async function sign(aud: string, times: Times, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { ...claims, aud, iat: now };
  if (times.exp !== undefined) payload.exp = now + times.exp;
  if (times.nbf !== undefined) payload.nbf = now + times.nbf;
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(PRIMARY));
}

const CASES: ReadonlyArray<{ name: string; times: Times; ok: boolean; reason?: RegExp }> = [
  { name: 'no exp', times: {}, ok: false, reason: /claim 'exp' is required/ },
  { name: 'no exp, nbf in the past', times: { nbf: -60 }, ok: false, reason: /claim 'exp' is required/ },
  { name: 'expired beyond the skew', times: { exp: -SKEW - 60 }, ok: false, reason: /expired/ },
  { name: 'nbf beyond the skew', times: { exp: 3600, nbf: SKEW + 60 }, ok: false, reason: /not valid yet/ },
  { name: 'expired within the skew', times: { exp: -SKEW + 60 }, ok: true },
  { name: 'nbf within the skew', times: { exp: 3600, nbf: SKEW - 60 }, ok: true },
  { name: 'valid', times: { exp: 600 }, ok: true },
];

test('REST: access-key tokens without a lifetime get 401 with the reason', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const path = '/api/hubs/hub/:send?api-version=2024-01-01';
  for (const c of CASES) {
    const res = await fetch(`${h.endpoint}${path}`, {
      method: 'POST', body: 'x',
      headers: { authorization: `Bearer ${await sign(`${h.endpoint}${path}`, c.times)}`, 'content-type': 'text/plain' },
    });
    const text = await res.text();
    if (c.ok) {
      assert.equal(res.status, 202, `${c.name}: ${text}`);
      continue;
    }
    assert.equal(res.status, 401, c.name);
    const body = JSON.parse(text);
    assert.equal(body.code, 'Unauthorized');
    assert.match(body.message, c.reason!, c.name);
    assert.equal(res.headers.get('x-ms-error-code'), 'Unauthorized');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token", error_description=".+"/);
  }
});

test('client access tokens without a lifetime open no WebSocket', async (t) => {
  const h = await start();
  t.after(() => h.close());
  for (const c of CASES) {
    const token = await sign(`${h.endpoint}/client/hubs/hub`, c.times, { sub: 'alice' });
    const url = `ws://127.0.0.1:${h.port}/client/hubs/hub?access_token=${token}`;
    if (c.ok) {
      const client = await rawClient(url, 'json.webpubsub.azure.v1');
      assert.equal((await client.next()).userId, 'alice', c.name);
      client.ws.close();
      continue;
    }
    await assert.rejects(rawClient(url, 'json.webpubsub.azure.v1'), (e: { status?: number; body?: string; headers?: Record<string, string> }) => {
      assert.equal(e.status, 401, c.name);
      assert.match(e.body ?? '', c.reason!, c.name);
      assert.match(e.headers?.['www-authenticate'] ?? '', /invalid_token/);
      return true;
    });
  }
});

test('the official SDK always signs with exp, so its tokens keep working', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const { token } = await h.client('hub').getClientAccessToken({ userId: 'bob' });
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  assert.equal(typeof payload.exp, 'number');
  await h.client('hub').sendToAll('hello', { contentType: 'text/plain' }); // REST through the SDK's own JWT
});
