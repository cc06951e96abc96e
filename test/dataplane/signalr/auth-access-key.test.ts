/** Access-key auth of the SignalR REST API (reference §1.5): keys, algorithms, audience, time claims, temporary keys. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryTemporaryKeyStore } from '../../../src/dataplane/signalr/auth/index.ts';
import { start, token, PRIMARY, SECONDARY, type Harness } from './harness.ts';

let h: Harness;
before(async () => { h = await start(); });
after(async () => { await h.close(); });

const PATH = '/api/hubs/chat/users/alice/:send?api-version=2022-06-01';
const BODY = '{"target":"t","arguments":[]}';
const send = (t: string | null, path = PATH) => h.call('POST', path, { token: t, body: BODY, contentType: 'application/json' });
const now = () => Math.floor(Date.now() / 1000);

async function refused(res: Response, pattern: RegExp) {
  const body = await res.json() as { code: string; message: string };
  assert.equal(res.status, 401, body.message);
  assert.equal(body.code, 'Unauthorized');
  assert.match(body.message, pattern);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
}

test('audience forms: the SDK form (port dropped, query kept), the docs form (port kept, no query), hub case', async () => {
  assert.equal((await send(await token(`http://127.0.0.1${PATH}`))).status, 202);
  assert.equal((await send(await token(`${h.origin}/api/hubs/chat/users/alice/:send`))).status, 202);
  assert.equal((await send(await token(`${h.origin}/api/hubs/CHAT/users/alice/:send/`))).status, 202);
  assert.equal((await send(await token(`HTTP://127.0.0.1:1${PATH}`))).status, 202);
  assert.equal((await send(await token(`http://127.0.0.1/api/hubs/Chat/:send?application=App&api-version=2022-06-01`), '/api/hubs/Chat/:send?application=App&api-version=2022-06-01')).status, 202);
});

test('wrong audience: other path, other user, other host, other scheme → 401', async () => {
  await refused(await send(await token('http://127.0.0.1/api/hubs/chat/:send')), /audience/);
  await refused(await send(await token('http://127.0.0.1/api/hubs/chat/users/bob/:send')), /audience/);
  await refused(await send(await token(`http://example.com${PATH}`)), /audience/);
  await refused(await send(await token(`https://127.0.0.1${PATH}`)), /audience/);
});

test('keys and algorithms: both keys, HS256 and HS512; wrong key and HS384 refused; kid is noise for access keys', async () => {
  const aud = `http://127.0.0.1${PATH}`;
  assert.equal((await send(await token(aud, { key: SECONDARY }))).status, 202);
  assert.equal((await send(await token(aud, { alg: 'HS512' }))).status, 202);
  assert.equal((await send(await token(aud, { kid: '-1234567' }))).status, 202);
  await refused(await send(await token(aud, { key: 'not-the-key-0123456789abcdefghijklmnop' })), /signature/);
  await refused(await send(await token(aud, { alg: 'HS384' })), /HS256 or HS512/);
  await refused(await send('not.a.jwt'), /malformed|credential/);
});

test('no token / other scheme → 401', async () => {
  await refused(await send(null), /no Authorization header/);
  const basic = await h.call('POST', PATH, { token: null, headers: { authorization: 'Basic Zm9vOmJhcg==' }, body: BODY, contentType: 'application/json' });
  await refused(basic, /Authorization/);
});

test('time claims: exp required, expired beyond 5 minutes refused, nbf honoured with skew', async () => {
  const aud = `http://127.0.0.1${PATH}`;
  await refused(await send(await token(aud, { exp: null })), /exp/);
  await refused(await send(await token(aud, { exp: now() - 400 })), /expired/);
  assert.equal((await send(await token(aud, { exp: now() - 60 }))).status, 202);
  await refused(await send(await token(aud, { nbf: now() + 600 })), /not valid yet/);
  assert.equal((await send(await token(aud, { nbf: now() + 60 }))).status, 202);
});

test('disableLocalAuth refuses access keys; regenerated keys apply at once', async () => {
  const aud = `http://127.0.0.1${PATH}`;
  h.settings.localAuthDisabled = true;
  try {
    await refused(await send(await token(aud)), /Local authentication/);
  } finally {
    h.settings.localAuthDisabled = false;
  }
  const old = h.keys.primaryKey;
  h.keys.primaryKey = 'regenerated-primary-0123456789abcdefghijklmn';
  try {
    await refused(await send(await token(aud, { key: PRIMARY })), /signature/);
    assert.equal((await send(await token(aud, { key: h.keys.primaryKey }))).status, 202);
  } finally {
    h.keys.primaryKey = old;
  }
});

test('temporary keys: selected by kid, valid with local auth disabled, refused with Entra auth disabled or once expired', async () => {
  const aud = `http://127.0.0.1${PATH}`;
  const temp = await h.deps.temporaryKeys.issue('principal-1');
  assert.equal((await send(await token(aud, { key: temp.accessKey, kid: temp.keyId }))).status, 202);
  // Named by kid, only that key counts: the primary key with a temporary kid is refused.
  await refused(await send(await token(aud, { key: PRIMARY, kid: temp.keyId })), /signature/);
  // Without its kid, a temporary key is just a wrong key.
  await refused(await send(await token(aud, { key: temp.accessKey })), /signature/);
  h.settings.localAuthDisabled = true;
  try {
    assert.equal((await send(await token(aud, { key: temp.accessKey, kid: temp.keyId }))).status, 202);
  } finally {
    h.settings.localAuthDisabled = false;
  }
  h.settings.aadAuthDisabled = true;
  try {
    await refused(await send(await token(aud, { key: temp.accessKey, kid: temp.keyId })), /Entra authentication is disabled/);
  } finally {
    h.settings.aadAuthDisabled = false;
  }
  let clock = Date.now();
  const store = new InMemoryTemporaryKeyStore({ now: () => clock, maxPerPrincipal: 2 });
  const k1 = store.issue('p');
  assert.equal(store.get(k1.keyId)?.accessKey, k1.accessKey);
  assert.equal(k1.expiresAt - clock, 90 * 60 * 1000);
  clock += 90 * 60 * 1000;
  assert.equal(store.get(k1.keyId), undefined);
  const [a, b, c] = [store.issue('q'), store.issue('q'), store.issue('q')];
  assert.equal(store.get(a.keyId), undefined, 'the oldest key of a principal is dropped past the bound');
  assert.ok(store.get(b.keyId) && store.get(c.keyId));
});

test('GET /api/v1/auth/accessKey with an access key → 403 (temporary keys are for Entra principals)', async () => {
  const res = await h.call('GET', '/api/v1/auth/accessKey', { token: await token('http://127.0.0.1/api/v1/auth/accessKey') });
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('x-ms-error-code'), 'Forbidden');
  const dated = await h.call('GET', '/api/auth/accessKey?api-version=2022-06-01', { token: await token('http://127.0.0.1/api/auth/accessKey') });
  assert.equal(dated.status, 400, 'the dated form needs 2024-12-01');
});
