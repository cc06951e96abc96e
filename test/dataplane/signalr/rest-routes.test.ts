/**
 * Every SignalR REST route × api-version form (dated 2022-06-01 / 2022-11-01 / 2024-12-01 and
 * /api/v1), over raw HTTP against in-memory hub operations: success statuses, the 404 codes the
 * .NET SDK expects, ErrorDetail bodies, api-version rules.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { start, type Harness } from './harness.ts';

let h: Harness;
before(async () => { h = await start(); });
after(async () => { await h.close(); });
beforeEach(() => {
  h.ops.hubs.clear();
  h.ops.sent.length = 0;
  h.ops.closed.length = 0;
  h.ops.connect('chat', 'c1', 'alice');
  h.ops.connect('chat', 'c2', 'bob');
  void h.ops.addConnectionToGroup('chat', 'c1', 'g1');
});

const FORMS = ['2022-06-01', '2022-11-01', '2024-12-01', 'v1'] as const;
type Form = (typeof FORMS)[number];
const url = (form: Form, path: string, extra = '') => {
  if (form === 'v1') return `/api/v1/${path}${extra ? `?${extra}` : ''}`;
  return `/api/${path}?${extra ? `${extra}&` : ''}api-version=${form}`;
};
const MSG = JSON.stringify({ Target: 'newMessage', Arguments: ['hello', 1] });
const JSON_TYPE = 'application/json; charset=utf-8';

async function expectStatus(form: Form, method: string, path: string, status: number, code?: string, o: { body?: string; extra?: string } = {}) {
  const res = await h.call(method, url(form, path, o.extra), o.body !== undefined ? { body: o.body, contentType: JSON_TYPE } : {});
  const text = await res.text();
  assert.equal(res.status, status, `${form} ${method} ${path}: ${text}`);
  if (code) {
    assert.equal(res.headers.get('x-ms-error-code'), code, `${form} ${method} ${path}`);
    if (method !== 'HEAD') assert.equal(JSON.parse(text).code, code);
  }
}

for (const form of FORMS) {
  test(`${form}: sends answer 202 and reach the operations with the lower-cased hub`, async () => {
    await expectStatus(form, 'POST', 'hubs/Chat/:send', 202, undefined, { body: MSG, extra: 'excluded=c1&excluded=c2' });
    await expectStatus(form, 'POST', 'hubs/chat/users/alice/:send', 202, undefined, { body: MSG });
    await expectStatus(form, 'POST', 'hubs/chat/groups/g1/:send', 202, undefined, { body: MSG, extra: 'excluded=c2' });
    await expectStatus(form, 'POST', 'hubs/chat/connections/c1/:send', 202, undefined, { body: MSG });
    assert.deepEqual(h.ops.sent.map((s) => s.kind), ['broadcast', 'user', 'group', 'connection']);
    assert.ok(h.ops.sent.every((s) => s.hub === 'chat'));
    const b = h.ops.sent[0]!;
    assert.ok(b.kind === 'broadcast');
    assert.deepEqual(b.excluded, ['c1', 'c2']);
    assert.equal(b.message.target, 'newMessage');
    assert.deepEqual(b.message.arguments, ['hello', 1]);
  });

  test(`${form}: existence checks answer HEAD and GET, 404 with the SDK's codes`, async () => {
    for (const method of ['HEAD', 'GET']) {
      await expectStatus(form, method, 'hubs/chat/users/alice', 200);
      await expectStatus(form, method, 'hubs/chat/users/nobody', 404, 'Warning.User.NotExisted');
      await expectStatus(form, method, 'hubs/chat/connections/c1', 200);
      await expectStatus(form, method, 'hubs/chat/connections/zz', 404, 'Warning.Connection.NotExisted');
      await expectStatus(form, method, 'hubs/chat/groups/g1', 200);
      await expectStatus(form, method, 'hubs/chat/groups/empty', 404, 'Warning.Group.NotExisted');
      await expectStatus(form, method, 'hubs/chat/users/alice/groups/g1', 200);
      await expectStatus(form, method, 'hubs/chat/groups/g1/users/alice', 200);
      await expectStatus(form, method, 'hubs/chat/users/bob/groups/g1', 404, 'Info.User.NotInGroup');
      await expectStatus(form, method, 'hubs/chat/groups/g1/users/bob', 404, 'Info.User.NotInGroup');
    }
  });

  test(`${form}: user and connection group membership, both path forms`, async () => {
    await expectStatus(form, 'PUT', 'hubs/chat/users/bob/groups/g2', 200, undefined, { extra: 'ttl=60' });
    await expectStatus(form, 'GET', 'hubs/chat/users/bob/groups/g2', 200);
    await expectStatus(form, 'DELETE', 'hubs/chat/users/bob/groups/g2', form === 'v1' ? 200 : 204);
    await expectStatus(form, 'GET', 'hubs/chat/users/bob/groups/g2', 404, 'Info.User.NotInGroup');
    await expectStatus(form, 'PUT', 'hubs/chat/groups/g3/users/bob', 200);
    await expectStatus(form, 'HEAD', 'hubs/chat/users/bob/groups/g3', 200);
    await expectStatus(form, 'DELETE', 'hubs/chat/groups/g3/users/bob', form === 'v1' ? 200 : 204);
    await expectStatus(form, 'PUT', 'hubs/chat/users/bob/groups/g4', 200);
    await expectStatus(form, 'DELETE', 'hubs/chat/users/bob/groups', form === 'v1' ? 200 : 204);
    await expectStatus(form, 'HEAD', 'hubs/chat/users/bob/groups/g4', 404, 'Info.User.NotInGroup');
    await expectStatus(form, 'PUT', 'hubs/chat/users/bob/groups/g5', 400, 'Error.BadRequest', { extra: 'ttl=-1' });

    await expectStatus(form, 'PUT', 'hubs/chat/groups/g9/connections/c2', 200);
    await expectStatus(form, 'HEAD', 'hubs/chat/groups/g9', 200);
    await expectStatus(form, 'DELETE', 'hubs/chat/groups/g9/connections/c2', 200);
    await expectStatus(form, 'HEAD', 'hubs/chat/groups/g9', 404, 'Warning.Group.NotExisted');
    await expectStatus(form, 'PUT', 'hubs/chat/connections/c2/groups/g9', 200);
    await expectStatus(form, 'DELETE', 'hubs/chat/connections/c2/groups/g9', 200);
    await expectStatus(form, 'PUT', 'hubs/chat/groups/g9/connections/zz', 404, 'Error.Connection.NotExisted');
    await expectStatus(form, 'PUT', 'hubs/chat/connections/zz/groups/g9', 404, 'Error.Connection.NotExisted');
    await expectStatus(form, 'DELETE', 'hubs/chat/connections/c1/groups', 200);
    await expectStatus(form, 'HEAD', 'hubs/chat/groups/g1', 404, 'Warning.Group.NotExisted');
  });

  test(`${form}: close connections (all, user, group, one) with reason and excluded`, async () => {
    await expectStatus(form, 'POST', 'hubs/chat/users/alice/:closeConnections', 204, undefined, { extra: 'reason=bye' });
    assert.deepEqual(h.ops.closed.at(-1), { hub: 'chat', target: { scope: 'user', userId: 'alice' }, excluded: [], reason: 'bye' });
    await expectStatus(form, 'POST', 'hubs/chat/groups/g1/:closeConnections', 204, undefined, { extra: 'excluded=c9' });
    assert.deepEqual(h.ops.closed.at(-1)?.excluded, ['c9']);
    await expectStatus(form, 'DELETE', 'hubs/chat/connections/c2', 200, undefined, { extra: 'reason=kicked' });
    assert.deepEqual(h.ops.closed.at(-1), { hub: 'chat', connectionId: 'c2', reason: 'kicked' });
    await expectStatus(form, 'DELETE', 'hubs/chat/connections/c2', 404, 'Warning.Connection.NotExisted');
    await expectStatus(form, 'POST', 'hubs/chat/:closeConnections', 204);
    assert.deepEqual(h.ops.closed.at(-1)?.target, { scope: 'all' });
  });
}

test(':generateToken exists from 2022-11-01 on dated paths only', async () => {
  for (const v of ['2022-11-01', '2024-12-01']) {
    const res = await h.call('POST', `/api/hubs/Chat/:generateToken?api-version=${v}&userId=alice&minutesToExpire=5`);
    assert.equal(res.status, 200);
    const body = await res.json() as { token: string };
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.aud, `${h.origin}/client/?hub=chat`);
    assert.equal(claims.nameid, 'alice');
    assert.equal(claims['asrs.s.uid'], 'alice');
    assert.ok(claims.exp - claims.iat === 300);
  }
  const old = await h.call('POST', '/api/hubs/chat/:generateToken?api-version=2022-06-01');
  assert.equal(old.status, 400);
  assert.equal(old.headers.get('x-ms-error-code'), 'Error.UnsupportedApiVersion');
  assert.equal((await h.call('POST', '/api/v1/hubs/chat/:generateToken')).status, 404);
  const bad = await h.call('POST', '/api/hubs/chat/:generateToken?api-version=2022-11-01&minutesToExpire=0');
  assert.equal(bad.status, 400);
  assert.equal((await bad.json() as { target: string }).target, 'minutesToExpire');
});

test('legacy v1 sends: POST on the hub, user, group and connection itself', async () => {
  for (const p of ['hubs/chat', 'hubs/chat/users/alice', 'hubs/chat/groups/g1', 'hubs/chat/connections/c1']) {
    const res = await h.call('POST', `/api/v1/${p}`, { body: MSG, contentType: JSON_TYPE });
    assert.equal(res.status, 202, p);
  }
  assert.deepEqual(h.ops.sent.map((s) => s.kind), ['broadcast', 'user', 'group', 'connection']);
  // Not a dated form.
  const dated = await h.call('POST', '/api/hubs/chat?api-version=2022-06-01', { body: MSG, contentType: JSON_TYPE });
  assert.equal(dated.status, 404);
});

test('health: HEAD and GET on /api/health (with or without api-version) and /api/v1/health, no token needed', async () => {
  for (const p of ['/api/health', '/api/health?api-version=2022-06-01', '/api/v1/health']) {
    for (const m of ['HEAD', 'GET']) assert.equal((await h.call(m, p, { token: null })).status, 200, `${m} ${p}`);
  }
  const post = await h.call('POST', '/api/health?api-version=2022-06-01', { token: null });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('x-ms-error-code'), 'Error.MethodNotAllowed');
});

test('api-version: unknown → 400 naming it, missing on a dated path → 400, ignored on /api/v1', async () => {
  const unknown = await h.call('POST', '/api/hubs/chat/:send?api-version=2099-01-01', { body: MSG, contentType: JSON_TYPE });
  assert.equal(unknown.status, 400);
  const body = await unknown.json() as { code: string; message: string; target: string };
  assert.equal(body.code, 'Error.UnsupportedApiVersion');
  assert.equal(body.target, 'api-version');
  assert.match(body.message, /2099-01-01/);
  assert.match(unknown.headers.get('api-supported-versions') ?? '', /2022-06-01/);
  const missing = await h.call('POST', '/api/hubs/chat/:send', { body: MSG, contentType: JSON_TYPE });
  assert.equal(missing.status, 400);
  const v1 = await h.call('POST', '/api/v1/hubs/chat/:send?api-version=whatever', { body: MSG, contentType: JSON_TYPE });
  assert.equal(v1.status, 202);
});

test('application prefix: the internal hub is {application}_{hub}, lower-cased', async () => {
  const res = await h.call('POST', '/api/hubs/Chat/:send?application=MyApp&api-version=2022-06-01', { body: MSG, contentType: JSON_TYPE });
  assert.equal(res.status, 202);
  assert.equal(h.ops.sent.at(-1)?.hub, 'myapp_chat');
  const bad = await h.call('POST', '/api/hubs/chat/:send?application=1bad&api-version=2022-06-01', { body: MSG, contentType: JSON_TYPE });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json() as { target: string }).target, 'application');
});

test('validation: hub names, group length, unknown routes and methods', async () => {
  const hub = await h.call('POST', '/api/hubs/1chat/:send?api-version=2022-06-01', { body: MSG, contentType: JSON_TYPE });
  assert.equal(hub.status, 400);
  assert.deepEqual(Object.keys(await hub.json() as object).sort(), ['code', 'message', 'target']);
  const long = await h.call('HEAD', `/api/hubs/chat/groups/${'g'.repeat(1025)}?api-version=2022-06-01`);
  assert.equal(long.status, 400);
  const blank = await h.call('HEAD', '/api/hubs/chat/groups/%20%20?api-version=2022-06-01');
  assert.equal(blank.status, 400);
  const unknown = await h.call('GET', '/api/hubs/chat/nothing/here?api-version=2022-06-01');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get('x-ms-error-code'), 'Error.NotFound');
  const method = await h.call('PATCH', '/api/hubs/chat/:send?api-version=2022-06-01');
  assert.ok(method.status === 405 || method.status === 404, String(method.status));
  const wrong = await h.call('GET', '/api/hubs/chat/:send?api-version=2022-06-01');
  assert.equal(wrong.status, 405);
  const outside = await h.call('GET', '/elsewhere', { token: null });
  assert.equal(outside.status, 404);
  assert.equal((await outside.json() as { code: string }).code, 'Error.NotFound');
});

test('encoded segments: %2F stays literal in ids, other escapes are decoded', async () => {
  h.ops.connect('chat', 'c3', 'tenant%2Fcarol');
  assert.equal((await h.call('HEAD', '/api/hubs/chat/users/tenant%2Fcarol?api-version=2022-06-01')).status, 200);
  h.ops.connect('chat', 'c4', 'dave smith');
  assert.equal((await h.call('HEAD', '/api/hubs/chat/users/dave%20smith?api-version=2022-06-01')).status, 200);
});
