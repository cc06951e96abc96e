/**
 * Fuzz (fast-check) the SignalR REST route parser, queries, tokens and bodies: every input gets an
 * Azure-shaped answer (never a 500, never a dropped connection) and the API keeps serving.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import fc from 'fast-check';
import { start, token, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await start();
  h.ops.connect('chat', 'c1', 'alice');
});
after(async () => { await h.close(); });

function raw(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  // An explicit length: Node's client sends DELETE/GET bodies unframed otherwise (a malformed request).
  if (body !== undefined) headers = { ...headers, 'content-length': String(body.length) };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const literal = fc.constantFrom('api', 'v1', 'hubs', 'chat', 'Chat', 'users', 'groups', 'connections', ':send', ':closeConnections', ':generateToken', 'health', 'auth', 'accessKey', 'alice', 'c1', 'g1', '', '..', '.');
const escaped = fc.constantFrom('%2F', '%2f', '%20', '%ZZ', '%', '%E0%A4', '%00', '%C3%A9', '+', '~', '[', ']', '`', ',');
const segment = fc.oneof(literal, fc.stringMatching(/^[A-Za-z0-9_.~:-]{0,12}$/), fc.array(fc.oneof(literal, escaped), { maxLength: 4 }).map((p) => p.join('')));
const path = fc.array(segment, { minLength: 0, maxLength: 8 }).map((s) => `/api/${s.join('/')}`);
const queryPart = fc.oneof(
  fc.constantFrom('api-version=2022-06-01', 'api-version=2022-11-01', 'api-version=2024-12-01', 'api-version=', 'api-version=bogus', 'application=app', 'application=1', 'ttl=5', 'ttl=-1', 'ttl=99999999999', 'excluded=c1', 'reason=r', 'minutesToExpire=0', 'minutesToExpire=5', 'userId=u', 'hub'),
  fc.stringMatching(/^[A-Za-z0-9=&%._-]{0,20}$/),
);
const query = fc.array(queryPart, { maxLength: 5 }).map((q) => (q.length ? `?${q.join('&')}` : ''));
const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
const contentType = fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'application/octet-stream', 'application/x-msgpack', 'text/plain', 'multipart/form-data', ';;', 'application/json; charset=bogus');
const body = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
  fc.json().map((j) => Buffer.from(j)),
  fc.record({ Target: fc.string(), Arguments: fc.anything() }).map((o) => Buffer.from(JSON.stringify(o) ?? '')),
);

async function answered(m: string, p: string, headers: Record<string, string>, b?: Buffer) {
  const res = await raw(m, p, headers, m === 'GET' || m === 'HEAD' ? undefined : b);
  assert.ok(res.status >= 200 && res.status < 500, `${m} ${p} → ${res.status} ${res.text}`);
  if (res.status >= 400) {
    assert.equal(typeof res.headers['x-ms-error-code'], 'string', `${m} ${p}`);
    if (m !== 'HEAD') assert.equal(typeof (JSON.parse(res.text) as { code: unknown }).code, 'string');
  }
}

test('random paths, queries and methods with a valid-looking token: always an answer, never a 500', async () => {
  await fc.assert(fc.asyncProperty(method, path, query, contentType, body, async (m, p, q, ct, b) => {
    const headers: Record<string, string> = { authorization: `Bearer ${await token(`http://127.0.0.1${p}${q}`)}` };
    if (ct !== undefined && b !== undefined) headers['content-type'] = ct;
    await answered(m, `${p}${q}`, headers, b);
  }), { numRuns: 400 });
});

test('random bodies on every send route: 202 or a 4xx with a code', async () => {
  const sends = ['/api/hubs/chat/:send', '/api/hubs/chat/users/alice/:send', '/api/hubs/chat/groups/g1/:send', '/api/hubs/chat/connections/c1/:send'];
  await fc.assert(fc.asyncProperty(fc.constantFrom(...sends), contentType, body, async (p, ct, b) => {
    const full = `${p}?api-version=2022-06-01`;
    const headers: Record<string, string> = { authorization: `Bearer ${await token(`http://127.0.0.1${full}`)}` };
    if (ct !== undefined) headers['content-type'] = ct;
    await answered('POST', full, headers, b ?? Buffer.alloc(0));
  }), { numRuns: 300 });
});

test('random Authorization headers: 401 with a reason, never a 500', async () => {
  const part = fc.oneof(fc.base64String({ maxLength: 60 }).map((s) => s.replace(/=+$/, '')), fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/));
  const jwtish = fc.tuple(part, part, part).map((p) => p.join('.'));
  const header = fc.oneof(jwtish.map((t) => `Bearer ${t}`), fc.stringMatching(/^[ -~]{0,80}$/));
  await fc.assert(fc.asyncProperty(header, async (auth) => {
    const res = await raw('HEAD', '/api/hubs/chat/users/alice?api-version=2022-06-01', { authorization: auth });
    assert.ok(res.status === 401, `${auth} → ${res.status}`);
  }), { numRuns: 300 });
  assert.equal((await raw('GET', '/api/health', {})).status, 200);
});
