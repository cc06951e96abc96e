/** The client-token validator the client endpoint uses (reference §2.2), and `:generateToken`'s tokens. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifySignalRClientToken, mintSignalRClientToken, TRANSPORT_MASK } from '../../../src/dataplane/signalr/auth/index.ts';
import { AuthenticationError } from '../../../src/dataplane/webpubsub/index.ts';
import { start, token, INTERNAL, PRIMARY, SECONDARY, type Harness } from './harness.ts';

let h: Harness;
before(async () => { h = await start(); });
after(async () => { await h.close(); });

const ORIGIN = 'https://localhost:8443';
const check = (t: string, hub = 'chat', requestOrigin = ORIGIN) => verifySignalRClientToken({ token: t, hub, requestOrigin, keys: h.deps });
const refuses = (t: string, pattern: RegExp, hub = 'chat', origin = ORIGIN) =>
  assert.throws(() => check(t, hub, origin), (e: unknown) => e instanceof AuthenticationError && e.status === 401 && pattern.test(e.message));

test('audience: the SDK form (port dropped), the hand-made form (port kept), hub case-insensitive, ws schemes', async () => {
  assert.equal(check(await token('https://localhost/client/?hub=chat')).userId, undefined);
  check(await token('https://localhost:8443/client/?hub=Chat'));
  check(await token('https://LOCALHOST:8443/client?hub=chat'), 'CHAT');
  check(await token('https://localhost/client/?hub=chat'), 'chat', 'wss://localhost:8443');
  check(await token(['https://x.example/client/?hub=chat', 'https://localhost/client/?hub=chat'] as unknown as string));
});

test('audience: another hub, host, scheme or path is refused', async () => {
  refuses(await token('https://localhost/client/?hub=other'), /audience/);
  refuses(await token('https://example.com/client/?hub=chat'), /audience/);
  refuses(await token('http://localhost/client/?hub=chat'), /audience/);
  refuses(await token('https://localhost/api/hubs/chat'), /audience/);
  refuses(await token('https://localhost/client/'), /audience/);
});

test('keys: both access keys, HS512, the internal key; HS384, wrong key and no exp refused', async () => {
  const aud = 'https://localhost/client/?hub=chat';
  check(await token(aud, { key: SECONDARY }));
  check(await token(aud, { alg: 'HS512' }));
  check(await token(aud, { key: INTERNAL }));
  refuses(await token(aud, { alg: 'HS384' }), /HS256 or HS512/);
  refuses(await token(aud, { key: 'wrong-key-0123456789abcdefghijklmnopqrst' }), /signature/);
  refuses(await token(aud, { exp: null }), /exp/);
  refuses(await token(aud, { exp: Math.floor(Date.now() / 1000) - 600 }), /expired/);
});

test('disableLocalAuth: access keys refused, internal-key and temporary-key tokens still accepted', async () => {
  const aud = 'https://localhost/client/?hub=chat';
  const temp = await h.deps.temporaryKeys.issue('p');
  h.settings.localAuthDisabled = true;
  try {
    refuses(await token(aud, { key: PRIMARY }), /signature/);
    check(await token(aud, { key: INTERNAL }));
    assert.equal(check(await token(aud, { key: temp.accessKey, kid: temp.keyId })).temporaryKeyId, temp.keyId);
  } finally {
    h.settings.localAuthDisabled = false;
  }
});

test('identity: asrs.s.uid, then nameid, then sub; transports bitmask; expiry', async () => {
  const aud = 'https://localhost/client/?hub=chat';
  const exp = Math.floor(Date.now() / 1000) + 600;
  const id = check(await token(aud, { exp, claims: { 'asrs.s.uid': 'u1', nameid: 'n1', sub: 's1', 'asrs.s.htt': '5', role: 'admin' } }));
  assert.equal(id.userId, 'u1');
  assert.equal(id.allowedTransports, TRANSPORT_MASK.WebSockets | TRANSPORT_MASK.LongPolling);
  assert.equal(id.expiresAt, exp);
  assert.equal(id.claims.role, 'admin');
  assert.equal(check(await token(aud, { claims: { nameid: 'n1', sub: 's1' } })).userId, 'n1');
  assert.equal(check(await token(aud, { claims: { sub: 's1', 'asrs.s.htt': 99 } })).userId, 's1');
  assert.equal(check(await token(aud, { claims: { 'asrs.s.htt': 99 } })).allowedTransports, 7);
  assert.equal(check(await token(aud, { claims: { 'asrs.s.cht': 20 } })).handshakeTimeoutSeconds, 20);
});

test('minted tokens validate; :generateToken signs with the primary key, and access keys cannot call it once local auth is disabled', async () => {
  const minted = await mintSignalRClientToken({ endpoint: 'https://localhost:8443/', hub: 'app_chat', userId: 'bob', minutesToExpire: 10, key: PRIMARY });
  const id = check(minted, 'App_Chat');
  assert.equal(id.userId, 'bob');
  const gen = async () => {
    const res = await h.call('POST', '/api/hubs/chat/:generateToken?api-version=2022-11-01&userId=carol');
    assert.equal(res.status, 200);
    return (await res.json() as { token: string }).token;
  };
  const withKeys = await gen();
  assert.equal(verifySignalRClientToken({ token: withKeys, hub: 'chat', requestOrigin: h.origin, keys: { ...h.deps, internalSigningKey: () => 'x' } }).userId, 'carol');
  h.settings.localAuthDisabled = true;
  try {
    // REST now needs Entra (the internal-key signing is covered in entra.test.ts).
    const res = await h.call('POST', '/api/hubs/chat/:generateToken?api-version=2022-11-01&userId=carol');
    assert.equal(res.status, 401);
  } finally {
    h.settings.localAuthDisabled = false;
  }
});
