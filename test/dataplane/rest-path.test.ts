/**
 * The pieces of the REST per-request path that were rewritten for speed (issue 16) still answer
 * exactly as the plain versions they replaced: the route tree as a scan of the table, the query
 * split as URLSearchParams, the JWT header decode as jose's, UTF-8 bodies passed through as a
 * decoder would have re-encoded them, and the `aud` fast path as the general comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDecoder } from 'node:util';
import fc from 'fast-check';
import { decodeProtectedHeader } from 'jose';
import { decodeSegment, Query, Router, type Method } from '../../src/dataplane/webpubsub/router.ts';
import { routes } from '../../src/dataplane/webpubsub/routes.ts';
import { servedRoutes } from '../../src/dataplane/signalr/rest/routes.ts';
import { bearerOf, decodeJwtHeader } from '../../src/dataplane/webpubsub/auth/types.ts';
import { parseSendPayload } from '../../src/dataplane/webpubsub/payload.ts';
import { audienceMatches } from '../../src/dataplane/webpubsub/auth/hs256.ts';

/** The linear scan the route tree replaced, kept as the reference. */
function scan<R extends { method: Method; path: string }>(table: readonly R[], method: string, segments: readonly string[]) {
  let methodMismatch = false;
  for (const route of table) {
    const parts = route.path.split('/');
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const p = parts[i]!;
      const s = segments[i]!;
      if (p.startsWith('{')) {
        if (s.length === 0) ok = false;
        else params[p.slice(1, -1)] = s;
      } else if (p.toLowerCase() !== s.toLowerCase()) ok = false;
    }
    if (!ok) continue;
    if (route.method !== method) {
      methodMismatch = true;
      continue;
    }
    for (const k of Object.keys(params)) params[k] = decodeSegment(params[k]!);
    return { route, params };
  }
  return methodMismatch ? 'method' : undefined;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'];

for (const [name, table] of [['Web PubSub', routes], ['SignalR', servedRoutes]] as const) {
  test(`${name}: the route tree answers every path as a scan of the table in order`, () => {
    const router = new Router(table as readonly { method: Method; path: string }[]);
    const words = [...new Set(table.flatMap((r) => r.path.split('/')).filter((p) => !p.startsWith('{')))];
    const segment = fc.oneof(
      fc.constantFrom(...words),
      fc.constantFrom(...words).map((w) => w.toUpperCase()),
      fc.constantFrom('', 'chat', 'Chat', 'a%2Fb', 'c%20d', 'e+f', 'x'),
    );
    fc.assert(fc.property(fc.constantFrom(...METHODS), fc.array(segment, { maxLength: 8 }), (method, segments) => {
      assert.deepEqual(router.match(method, segments), scan(table as readonly { method: Method; path: string }[], method, segments));
    }), { numRuns: 3000 });
    // Every route of the table is found by its own shape.
    for (const r of table) {
      const segments = r.path.split('/').map((p) => (p.startsWith('{') ? 'v' : p));
      assert.deepEqual(router.match(r.method, segments), scan(table as readonly { method: Method; path: string }[], r.method, segments));
    }
  });
}

test('the query split by hand reads as URLSearchParams does', () => {
  const part = fc.stringMatching(/^[A-Za-z0-9=&?._~-]{0,24}$/);
  fc.assert(fc.property(part, (search) => {
    const q = new Query(search);
    const ref = new Map<string, string[]>();
    for (const [k, v] of new URLSearchParams(search)) {
      const key = k.toLowerCase();
      ref.set(key, [...(ref.get(key) ?? []), v]);
    }
    for (const [k, values] of ref) assert.deepEqual(q.all(k), values, search);
    for (const key of search.split(/[&=]/)) if (!ref.has(key.toLowerCase())) assert.deepEqual(q.all(key), [], search);
  }), { numRuns: 3000 });
  const q = new Query('api-version=2024-01-01&Excluded=a&excluded=b%20c&x=1+2');
  assert.equal(q.get('API-VERSION'), '2024-01-01');
  assert.deepEqual(q.all('excluded'), ['a', 'b c']);
  assert.equal(q.get('x'), '1 2');
});

test('the JWT header is decoded as strictly as jose does, once per request', () => {
  const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const tokens = [
    `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ a: 1 })}.sig`,
    `${enc({ alg: 'RS256', kid: 'k' })}.${enc({})}.s`,
    `${enc({ alg: 'dir', enc: 'A256GCM' })}.a.b.c.d`,
    `${enc({ alg: 'HS256' })}.b`,
    `${enc({ alg: 'HS256' })}.b.c.d`,
    `${enc([1, 2])}.b.c`,
    `${enc('"HS256"')}.b.c`,
    `${enc('{not json')}.b.c`,
    `${Buffer.from([0xc3, 0x28]).toString('base64url')}.b.c`,
    '!!!.b.c',
    '.b.c',
    'abc',
    '',
  ];
  for (const token of tokens) {
    let expected: unknown;
    try {
      expected = decodeProtectedHeader(token);
    } catch {
      expected = undefined;
    }
    assert.deepEqual(decodeJwtHeader(token), expected, token);
  }
  const request = { method: 'POST', url: '/', headers: { authorization: `Bearer ${tokens[0]}` }, resourceId: 'r' };
  const first = bearerOf(request);
  assert.equal(first.token, tokens[0]);
  assert.equal(first.header?.alg, 'HS256');
  assert.equal(bearerOf(request), first, 'decoded once, then shared');
  assert.deepEqual(bearerOf({ method: 'GET', url: '/', headers: { authorization: 'Basic abc' }, resourceId: 'r' }), { token: undefined, header: undefined });
});

test('UTF-8 text bodies pass through as the bytes a decoder would have re-encoded', () => {
  const decodeAndEncode = (b: Buffer) => Buffer.from(new TextDecoder('utf-8', { fatal: true }).decode(b), 'utf8');
  for (const text of ['hello', 'héllo wörld', '\u{1F600} emoji', '\uFEFFwith a BOM', '\uFEFF\uFEFFtwo BOMs', '']) {
    const body = Buffer.from(text, 'utf8');
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'TEXT/PLAIN;charset="UTF8"']) {
      const p = parseSendPayload(type, body);
      assert.equal(p.kind, 'text');
      assert.deepEqual(Buffer.from(p.data), decodeAndEncode(body), `${type}: ${text}`);
    }
  }
  assert.throws(() => parseSendPayload('text/plain', Buffer.from([0x61, 0xc3, 0x28])), (e: Error & { status?: number }) => e.status === 400);
  assert.throws(() => parseSendPayload('text/plain; charset=utf-8', Buffer.from([0xed, 0xa0, 0x80])), (e: Error & { status?: number }) => e.status === 400, 'a UTF-8-encoded surrogate');
  const latin1 = parseSendPayload('text/plain; charset=iso-8859-1', Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  assert.equal(Buffer.from(latin1.data).toString('utf8'), 'café');
  assert.throws(() => parseSendPayload('text/plain; charset=bogus', Buffer.from('x')), (e: Error & { status?: number }) => e.status === 415);
  const json = parseSendPayload('application/json', Buffer.from('\uFEFF{"a":1}', 'utf8'));
  assert.equal(Buffer.from(json.data).toString('utf8'), '{"a":1}');
  assert.throws(() => parseSendPayload('application/json', Buffer.from('{"a":')), (e: Error & { status?: number }) => e.status === 400);
  const binary = Buffer.from([0xff, 0x00]);
  assert.equal(parseSendPayload('application/octet-stream', binary).data, binary, 'binary bodies are not copied');
});

test('the audience fast path accepts only what the general comparison accepts', () => {
  const url = '/api/hubs/chat/users/u%201/:send?api-version=2024-01-01';
  assert.ok(audienceMatches(`http://h${url}`, url));
  assert.ok(audienceMatches(`https://other:1${url.toUpperCase()}`, url));
  assert.ok(audienceMatches(`http://h${url.slice(0, url.indexOf('?'))}`, url), 'without the query');
  assert.ok(audienceMatches(`http://h/api/hubs/chat/users/u 1/:send`, url), 'decoded once');
  assert.ok(audienceMatches(['x', 5, `http://h${url}`], url));
  assert.ok(!audienceMatches(`http://h/api/hubs/chat/users/u2/:send`, url));
  assert.ok(!audienceMatches(url, url), 'a path alone is not a URL');
  assert.ok(!audienceMatches(undefined, url));
});
