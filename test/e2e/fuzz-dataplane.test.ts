/**
 * Property tests with fast-check over the data plane's peer-facing parsers: the JSON subprotocol
 * decoder, REST bodies and content types, and the OData filter. Property: any input gets an
 * answer (a response, an ack, or a close of that one peer) and the process keeps serving.
 * Runs are bounded (numRuns) so the suite stays fast; a failure prints its seed to replay.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { start, rawClient, PRIMARY, type Harness, type RawClient } from '../dataplane/helpers.ts';
import { compileODataFilter, FilterSyntaxError } from '../../src/dataplane/webpubsub/odata-filter.ts';

const JSON_P = 'json.webpubsub.azure.v1';
const RELIABLE = 'json.reliable.webpubsub.azure.v1';
const uncaught: Error[] = [];
process.on('uncaughtExceptionMonitor', (err) => uncaught.push(err));
process.on('unhandledRejection', (err) => uncaught.push(err as Error));

let h: Harness;
let witness: RawClient;

before(async () => {
  h = await start({ limits: { maxConnections: 1000 } });
  witness = await rawClient((await h.client('hub').getClientAccessToken({ userId: 'witness' })).url, JSON_P);
  await witness.next();
});
after(async () => {
  witness?.ws.terminate();
  await h?.close();
});

async function stillServing(): Promise<void> {
  assert.deepEqual(uncaught.map((e) => String(e)), []);
  const health = await fetch(`${h.endpoint}/api/health`);
  assert.equal(health.status, 200);
  const marker = `alive-${Math.random()}`;
  await h.client('hub').sendToAll(marker, { contentType: 'text/plain' });
  await witness.next((m) => m.type === 'message' && m.data === marker);
}

const MESSAGE_TYPES = ['joinGroup', 'leaveGroup', 'sendToGroup', 'event', 'sequenceAck', 'ping', 'invoke', 'cancelInvocation',
  'streamData', 'streamEnd', 'setGroupState', 'subscribeGroupState', 'unsubscribeGroupState', 'bogus'];

/** Frames a JSON-subprotocol peer might send: structured near-misses and plain garbage. */
const sometimes = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: usual, weight: 6 }, { arbitrary: odd, weight: 1 });
const clientFrame = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      type: sometimes(fc.constantFrom(...MESSAGE_TYPES), fc.anything()),
      ackId: sometimes(fc.option(fc.nat({ max: 50 }), { nil: undefined }), fc.oneof(fc.integer(), fc.double(), fc.string())),
      group: sometimes(fc.constantFrom('g1', 'g2', 'group with spaces'), fc.oneof(fc.string({ maxLength: 2000 }), fc.anything())),
      event: sometimes(fc.constantFrom('message', 'evt'), fc.oneof(fc.string(), fc.anything())),
      dataType: sometimes(fc.constantFrom('text', 'json', 'binary'), fc.oneof(fc.constant('protobuf'), fc.anything())),
      data: fc.oneof(fc.string(), fc.base64String(), fc.json().map((j) => JSON.parse(j) as unknown), fc.anything()),
      sequenceId: sometimes(fc.nat(), fc.oneof(fc.double(), fc.string())),
      noEcho: fc.boolean(),
      stream: fc.option(fc.anything(), { nil: undefined }),
      invocationId: fc.option(fc.string(), { nil: undefined }),
    }, { requiredKeys: ['type'] }).map((o) => JSON.stringify(o)),
  },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
);

for (const protocol of [JSON_P, RELIABLE]) {
  test(`fuzz: ${protocol} decoder answers or closes that peer, never more`, async () => {
    const url = (await h.client('hub').getClientAccessToken({ userId: 'fuzz', roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'] })).url;
    let peer: RawClient | undefined;
    let closed = true;
    await fc.assert(fc.asyncProperty(fc.array(clientFrame, { minLength: 1, maxLength: 4 }), async (frames) => {
      if (closed) {
        peer?.ws.terminate();
        peer = await rawClient(url, protocol);
        closed = false;
        void peer.closed.then(() => { closed = true; });
        await peer.next((m) => m.event === 'connected');
      }
      for (const f of frames) if (peer!.ws.readyState === WebSocket.OPEN) peer!.ws.send(f);
      // A ping after the inputs: a pong proves the peer's session still answers; a close is the other allowed outcome.
      if (peer!.ws.readyState === WebSocket.OPEN) peer!.ws.send('{"type":"ping"}');
      const outcome = await Promise.race([
        peer!.next((m) => m.type === 'pong', 3000).then(() => 'pong', () => 'silent'),
        peer!.closed.then(() => 'closed'),
      ]);
      assert.notEqual(outcome, 'silent', `no answer and no close for ${JSON.stringify(frames).slice(0, 300)}`);
      assert.deepEqual(uncaught.map((e) => String(e)), []);
    }), { numRuns: 150 });
    peer?.ws.terminate();
    await stillServing();
  });
}

function restToken(path: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + 600)
    .setAudience(`${h.endpoint}${path}`).sign(new TextEncoder().encode(PRIMARY));
}

const REST_PATHS = [
  ['POST', '/api/hubs/fz/:send'], ['POST', '/api/hubs/fz/:addToGroups'], ['POST', '/api/hubs/fz/:removeFromGroups'],
  ['POST', '/api/hubs/fz/:generateToken'], ['POST', '/api/hubs/fz/:closeConnections'], ['POST', '/api/hubs/fz/groups/g/:send'],
  ['POST', '/api/hubs/fz/users/u/:send'], ['POST', '/api/hubs/fz/connections/c/:send'], ['PUT', '/api/hubs/fz/groups/g/connections/c'],
  ['PUT', '/api/hubs/fz/permissions/joinLeaveGroup/connections/c'], ['POST', '/api/hubs/fz/groups/g/:closeConnections'],
] as const;

const query = fc.oneof(
  fc.constant(''),
  fc.string().map((f) => `&filter=${encodeURIComponent(f)}`),
  fc.record({ k: fc.constantFrom('excluded', 'group', 'minutesToExpire', 'role', 'userId', 'reason', 'clientType', 'targetName'), v: fc.string() })
    .map(({ k, v }) => `&${k}=${encodeURIComponent(v)}`),
);

test('fuzz: REST bodies, content types and query values get a data-plane answer, never a 5xx', async () => {
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...REST_PATHS),
    fc.oneof(fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/json; charset=utf-8',
      'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''), fc.string()),
    fc.oneof(fc.json(), fc.string(), fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)), fc.anything().map((a) => JSON.stringify(a) ?? '')),
    query,
    async ([method, path], contentType, body, extra) => {
      const url = `${path}?api-version=2024-01-01${extra}`;
      const headers: Record<string, string> = { authorization: `Bearer ${await restToken(path)}` };
      if (contentType) headers['content-type'] = contentType;
      let res: Response;
      try {
        res = await fetch(`${h.endpoint}${url}`, { method, headers, body: body as string | Buffer });
      } catch (err) {
        // undici refuses some header values itself (never reaching Lapis): not a server answer to judge.
        if (/header/i.test(String((err as Error).cause ?? err))) return;
        throw err;
      }
      const text = await res.text();
      assert.ok(res.status < 500, `${method} ${url} [${contentType}] → ${res.status} ${text}`);
      if (res.status >= 400) {
        const parsed = JSON.parse(text);
        assert.equal(typeof parsed.code, 'string');
        assert.equal(typeof parsed.message, 'string');
        assert.equal(res.headers.get('x-ms-error-code'), parsed.code);
      }
      assert.deepEqual(uncaught.map((e) => String(e)), []);
    },
  ), { numRuns: 300 });
  await stillServing();
});

const subjects = fc.record({
  connectionId: fc.string(),
  userId: fc.option(fc.string(), { nil: undefined }),
  groups: fc.array(fc.string(), { maxLength: 4 }).map((g) => new Set(g)),
  protocol: fc.constantFrom(JSON_P, RELIABLE, 'simple'),
});

/** Filter-like text: OData tokens glued together, so the parser gets past its first character. */
const filterText = fc.oneof(
  fc.string(),
  fc.array(fc.oneof(
    fc.constantFrom('userId', 'connectionId', 'groups', 'protocol', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'and', 'or', 'not', 'in',
      '(', ')', ',', "'a'", "''''", 'null', 'true', 'false', '1', '-1', '1.5e308', 'startswith', 'endswith', 'contains',
      'tolower', 'toupper', 'length', 'substring', 'indexof', 'trim', 'concat', ' ', "'", 'any', 'all', '/', ':'),
    fc.string({ maxLength: 3 }),
  ), { maxLength: 40 }).map((parts) => parts.join(' ')),
  fc.nat({ max: 3000 }).map((n) => '('.repeat(n) + 'true' + ')'.repeat(n)),
  fc.nat({ max: 3000 }).map((n) => Array.from({ length: n }, () => "userId eq 'x'").join(' or ')),
);

test('fuzz: the OData filter parses or refuses with a syntax error; compiled filters never throw', () => {
  fc.assert(fc.property(filterText, fc.array(subjects, { maxLength: 3 }), (text, subs) => {
    let filter: ReturnType<typeof compileODataFilter>;
    try {
      filter = compileODataFilter(text);
    } catch (err) {
      assert.ok(err instanceof FilterSyntaxError, `${text.slice(0, 200)} threw ${String(err)}`);
      return;
    }
    for (const s of subs) assert.equal(typeof filter(s), 'boolean');
  }), { numRuns: 2000 });
});

test('fuzz: filters through REST get 202 or a 400, and the service keeps serving', async () => {
  await fc.assert(fc.asyncProperty(filterText, async (text) => {
    const path = '/api/hubs/fz/:send';
    const res = await fetch(`${h.endpoint}${path}?api-version=2024-01-01&filter=${encodeURIComponent(text)}`, {
      method: 'POST', headers: { authorization: `Bearer ${await restToken(path)}`, 'content-type': 'text/plain' }, body: 'x',
    });
    await res.arrayBuffer();
    assert.ok(res.status === 202 || res.status === 400 || res.status === 414 || res.status === 431, `${res.status} for ${text.slice(0, 200)}`);
  }), { numRuns: 200 });
  await stillServing();
});
