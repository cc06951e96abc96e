/** REST error paths the SDK hides: raw fetch with hand-made access-key JWTs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { start, rawClient, PRIMARY, SECONDARY } from './helpers.ts';
import type { Harness } from './helpers.ts';
import { AuthorizationError } from '../../src/dataplane/webpubsub/index.ts';
import type { DataPlaneAuthenticator } from '../../src/dataplane/webpubsub/index.ts';

async function token(aud: string, key = PRIMARY, expSecondsFromNow = 3600, alg = 'HS256'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + expSecondsFromNow).setAudience(aud).sign(new TextEncoder().encode(key));
}

async function call(h: Harness, method: string, path: string, init: { body?: string | Buffer; type?: string; key?: string; aud?: string; exp?: number; auth?: string | null } = {}) {
  const url = `${h.endpoint}${path}`;
  const headers: Record<string, string> = {};
  if (init.auth !== null) headers.authorization = init.auth ?? `Bearer ${await token(init.aud ?? url, init.key, init.exp)}`;
  if (init.type) headers['content-type'] = init.type;
  const res = await fetch(url, { method, headers, body: init.body });
  const text = await res.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

const SEND = '/api/hubs/hub/:send?api-version=2024-12-01';

test('access-key JWT validation: missing, forged, expired, wrong audience, both keys, regeneration', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const none = await call(h, 'POST', SEND, { auth: null, body: 'x', type: 'text/plain' });
  assert.equal(none.status, 401);
  assert.equal(none.json.code, 'Unauthorized');
  assert.match(none.headers.get('www-authenticate') ?? '', /invalid_token/);
  assert.equal(none.headers.get('x-ms-error-code'), 'Unauthorized');

  assert.equal((await call(h, 'POST', SEND, { auth: 'Bearer not.a.jwt', body: 'x', type: 'text/plain' })).status, 401);
  const forged = await call(h, 'POST', SEND, { key: 'wrong-key', body: 'x', type: 'text/plain' });
  assert.equal(forged.status, 401);
  assert.match(forged.json.message, /signature/);
  const expired = await call(h, 'POST', SEND, { exp: -600, body: 'x', type: 'text/plain' });
  assert.equal(expired.status, 401);
  assert.match(expired.json.message, /expired/);
  // Within the 5 minute clock skew.
  assert.equal((await call(h, 'POST', SEND, { exp: -120, body: 'x', type: 'text/plain' })).status, 202);
  const wrongAud = await call(h, 'POST', SEND, { aud: `${h.endpoint}/api/hubs/other/:send?api-version=2024-12-01`, body: 'x', type: 'text/plain' });
  assert.equal(wrongAud.status, 401);
  assert.match(wrongAud.json.message, /audience/);
  // aud without the query, another host name, different case: accepted.
  assert.equal((await call(h, 'POST', SEND, { aud: 'https://LOCALHOST:9999/api/hubs/HUB/:send', body: 'x', type: 'text/plain' })).status, 202);
  assert.equal((await call(h, 'POST', SEND, { key: SECONDARY, body: 'x', type: 'text/plain' })).status, 202);
  // HEAD errors carry no body but keep the reason in WWW-Authenticate.
  const head = await call(h, 'HEAD', '/api/hubs/hub/users/u', { key: 'nope' });
  assert.equal(head.status, 401);
  assert.equal(head.text, '');
  assert.match(head.headers.get('www-authenticate') ?? '', /signature/);

  // Key regeneration takes effect at once.
  h.keys.primaryKey = 'regenerated-primary-key';
  assert.equal((await call(h, 'POST', SEND, { body: 'x', type: 'text/plain' })).status, 401);
  assert.equal((await call(h, 'POST', SEND, { key: 'regenerated-primary-key', body: 'x', type: 'text/plain' })).status, 202);

  // disableLocalAuth: access keys are refused.
  h.settings.localAuthDisabled = true;
  const disabled = await call(h, 'POST', SEND, { key: 'regenerated-primary-key', body: 'x', type: 'text/plain' });
  assert.equal(disabled.status, 401);
  assert.match(disabled.json.message, /Local authentication/);
});

test('request validation: names, api-version, filters, bodies, media types, paging, routes', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const bad = await call(h, 'POST', '/api/hubs/1hub/:send', { body: 'x', type: 'text/plain' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'Error.BadRequest');
  assert.equal(bad.json.target, 'hub');

  const version = await call(h, 'POST', '/api/hubs/hub/:send?api-version=2020-01-01', { body: 'x', type: 'text/plain' });
  assert.equal(version.status, 400);
  assert.equal(version.headers.get('api-supported-versions'), '2021-10-01, 2022-11-01, 2023-07-01, 2024-01-01, 2024-12-01');
  for (const v of ['2021-10-01', '2022-11-01', '2023-07-01', '2024-01-01', '2024-12-01']) {
    assert.equal((await call(h, 'POST', `/api/hubs/hub/:send?api-version=${v}`, { body: 'x', type: 'text/plain' })).status, 202);
  }
  assert.equal((await call(h, 'POST', '/api/hubs/hub/:send', { body: 'x', type: 'text/plain' })).status, 202);

  const filter = await call(h, 'POST', `${SEND}&filter=${encodeURIComponent("userId eq 'a' and")}`, { body: 'x', type: 'text/plain' });
  assert.equal(filter.status, 400);
  assert.equal(filter.json.target, 'filter');
  assert.match(filter.json.message, /end of filter at position 17/);
  const unknownId = await call(h, 'POST', `${SEND}&filter=${encodeURIComponent("nickname eq 'a'")}`, { body: 'x', type: 'text/plain' });
  assert.match(unknownId.json.message, /unknown identifier 'nickname' at position 0/);

  const big = Buffer.alloc(1024 * 1024 + 1, 97);
  const tooBig = await call(h, 'POST', SEND, { body: big, type: 'application/octet-stream' });
  assert.equal(tooBig.status, 400);
  assert.match(tooBig.json.message, /larger than the limit/);
  assert.equal((await call(h, 'POST', SEND, { body: big.subarray(1), type: 'application/octet-stream' })).status, 202);

  assert.equal((await call(h, 'POST', SEND, { body: 'x', type: 'image/png' })).status, 415);
  const invalidJson = await call(h, 'POST', SEND, { body: '{nope', type: 'application/json' });
  assert.equal(invalidJson.status, 400);
  assert.equal(invalidJson.json.message, 'The request body is not a valid JSON.');
  assert.equal((await call(h, 'POST', SEND, { body: Buffer.from([0xff, 0xfe]), type: 'text/plain' })).status, 400);
  assert.equal((await call(h, 'POST', `${SEND}&messageTtlSeconds=301`, { body: 'x', type: 'text/plain' })).status, 400);
  // A TTL Lapis cannot honour is refused, never accepted and ignored; 0 (no expiry) is fine.
  const ttl = await call(h, 'POST', `${SEND}&messageTtlSeconds=300`, { body: 'x', type: 'text/plain' });
  assert.equal(ttl.status, 400);
  assert.equal(ttl.json.code, 'Error.BadRequest');
  assert.equal(ttl.json.target, 'messageTtlSeconds');
  assert.match(ttl.json.message, /messageTtlSeconds is not supported by Lapis/);
  assert.equal((await call(h, 'POST', `${SEND}&messageTtlSeconds=0`, { body: 'x', type: 'text/plain' })).status, 202);

  assert.equal((await call(h, 'POST', '/api/hubs/hub/:addToGroups', { body: '{"groups":[]}', type: 'application/json' })).status, 400);
  assert.equal((await call(h, 'POST', '/api/hubs/hub/:addToGroups', { body: '{"groups":["g"]}', type: 'text/plain' })).status, 415);
  assert.equal((await call(h, 'POST', '/api/hubs/hub/:addToGroups', { body: '{"groups":["g"],"filter":null}', type: 'application/json' })).status, 200);

  assert.equal((await call(h, 'GET', '/api/hubs/hub/groups/g/connections?maxpagesize=0')).status, 400);
  assert.equal((await call(h, 'GET', '/api/hubs/hub/groups/g/connections?maxpagesize=201')).status, 400);
  const token = await call(h, 'GET', '/api/hubs/hub/groups/g/connections?continuationToken=%21%21');
  assert.equal(token.status, 400);
  assert.equal(token.json.target, 'continuationToken');
  assert.deepEqual((await call(h, 'GET', '/api/hubs/hub/groups/g/connections')).json, { value: [] });
  assert.equal((await call(h, 'HEAD', '/api/hubs/hub/groups/%20%20')).status, 400);
  assert.equal((await call(h, 'PUT', '/api/hubs/hub/permissions/readAll/connections/c1')).status, 400);

  const unknown = await call(h, 'GET', '/api/hubs/hub/nothing');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.code, 'Error.NotFound');
  assert.equal((await call(h, 'GET', '/api/hubs/hub/:send')).status, 405);
  assert.equal((await call(h, 'HEAD', '/api/health', { auth: null })).status, 200);
});

test('path segments decode as the service does: %2F stays literal', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const { url } = await h.client('hub').getClientAccessToken({ userId: 'tenant%2Falice' });
  const c = await rawClient(url, 'json.webpubsub.azure.v1');
  await c.next((m) => m.event === 'connected');
  assert.equal((await call(h, 'HEAD', '/api/hubs/hub/users/tenant%252Falice')).status, 200);
  assert.equal((await call(h, 'HEAD', '/api/hubs/hub/users/tenant%2Falice')).status, 200);
  const { url: url2 } = await h.client('hub').getClientAccessToken({ userId: 'user 1' });
  const c2 = await rawClient(url2, 'json.webpubsub.azure.v1');
  await c2.next((m) => m.event === 'connected');
  assert.equal(await h.client('hub').userExists('user 1'), true);
  c.ws.close();
  c2.ws.close();
});

test(':generateToken mints client tokens that work even with local auth disabled', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const res = await call(h, 'POST', '/api/hubs/Hub1/:generateToken?api-version=2024-12-01&userId=u1&role=webpubsub.joinLeaveGroup&role=r2&minutesToExpire=7&group=g1');
  assert.equal(res.status, 200);
  const claims = JSON.parse(Buffer.from(res.json.token.split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, 'u1');
  assert.deepEqual(claims.role, ['webpubsub.joinLeaveGroup', 'r2']);
  assert.deepEqual(claims['webpubsub.group'], ['g1']);
  assert.equal(claims.exp - claims.iat, 7 * 60);
  assert.equal(claims.aud, `${h.endpoint}/client/hubs/hub1`);
  assert.equal((await call(h, 'POST', '/api/hubs/hub1/:generateToken?minutesToExpire=0')).status, 400);

  h.settings.localAuthDisabled = true;
  const c = await rawClient(`ws://127.0.0.1:${h.port}/client/hubs/hub1?access_token=${res.json.token}`, 'json.webpubsub.azure.v1');
  const connected = await c.next((m) => m.event === 'connected');
  assert.equal(connected.userId, 'u1');
  // An access-key-signed client token is refused while local auth is disabled.
  const { url } = await h.client('hub1').getClientAccessToken({ userId: 'u2' });
  await assert.rejects(rawClient(url, 'json.webpubsub.azure.v1'), (e: any) => e.status === 401);
  c.ws.close();
});

test('authenticator chain: extra authenticators run first and authorise each route DataAction', async (t) => {
  const seen: string[] = [];
  const custom: DataPlaneAuthenticator = {
    kind: 'test',
    async authenticate(req) {
      const h = req.headers['authorization'];
      return h === 'Bearer reader' ? { kind: 'test', principal: 'reader' } : null;
    },
    authorize(_auth, dataAction) {
      seen.push(dataAction);
      if (!dataAction.endsWith('/read')) throw new AuthorizationError(`The principal has no permission for ${dataAction}.`);
    },
  };
  const h = await start({ authenticators: [custom] });
  t.after(() => h.close());
  assert.equal((await call(h, 'HEAD', '/api/hubs/hub/users/u', { auth: 'Bearer reader' })).status, 404);
  const denied = await call(h, 'POST', SEND, { auth: 'Bearer reader', body: 'x', type: 'text/plain' });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.code, 'Forbidden');
  assert.deepEqual(seen, ['Microsoft.SignalRService/WebPubSub/user/read', 'Microsoft.SignalRService/WebPubSub/hub/send/action']);
  // Access keys still work (the access-key authenticator ends the chain).
  assert.equal((await call(h, 'POST', SEND, { body: 'x', type: 'text/plain' })).status, 202);
});
