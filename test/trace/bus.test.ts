// The trace bus: nothing is published while nobody watches, each viewer gets the events in order,
// a viewer that falls behind is dropped (the others keep theirs), and the inspector keeps a bounded
// number of calls with their secrets redacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import {
  MAX_BODY_PREVIEW_BYTES, MAX_SUBSCRIBERS_PER_RESOURCE, REDACTED, TraceBus, UpstreamInspector,
  decodeBearer, describeSignature, previewBody, redactHeaders, redactUrl, type TraceEvent,
} from '../../src/trace/index.ts';

const ID = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.SignalRService/webPubSub/chat';
const tick = () => new Promise((r) => setImmediate(r));

test('off while nobody watches; on with a viewer; off again when it leaves', async () => {
  const bus = new TraceBus('n1');
  const trace = bus.resource(ID, 'chat');
  assert.equal(trace.on, false);
  trace.emit({ category: 'connection', event: 'connected' }); // dropped: nobody watches
  const sub = trace.subscribe()!;
  assert.equal(trace.on, true);
  assert.equal(bus.find(ID.toUpperCase()), trace, 'resource ids are case-insensitive');
  trace.emit({ category: 'connection', event: 'connected', hub: 'h', connectionId: 'c1' });
  trace.emit({ category: 'message', event: 'messageOut', hub: 'h', recipients: 2 });
  const got: TraceEvent[] = [];
  sub.onWake(() => got.push(...sub.take()));
  await tick();
  assert.deepEqual(got.map((e) => e.event), ['connected', 'messageOut']);
  assert.ok(got[0]!.id < got[1]!.id);
  assert.equal(got[0]!.resource, 'chat');
  assert.equal(got[0]!.node, 'n1');
  sub.close();
  assert.equal(trace.on, false);
});

test('a viewer that does not take its events is dropped; another one is not', async () => {
  const trace = new TraceBus().resource(ID, 'chat');
  const slow = trace.subscribe({ maxQueued: 10 })!;
  const fast = trace.subscribe({ maxQueued: 10 })!;
  let taken = 0;
  fast.onWake(() => { taken += fast.take().length; });
  for (let i = 0; i < 25; i++) {
    trace.emit({ category: 'message', event: 'messageIn', detail: String(i) });
    if (i % 5 === 4) await tick();
  }
  await tick();
  assert.equal(slow.closed?.dropped, true, 'the slow viewer was dropped');
  assert.equal(slow.queued, 0, 'and its queue freed');
  assert.equal(fast.closed, undefined);
  assert.equal(taken, 25);
  assert.equal(trace.subscriberCount, 1);
});

test('filters apply before queueing; viewers per resource are bounded; remove ends them', async () => {
  const bus = new TraceBus();
  const trace = bus.resource(ID, 'chat');
  const onlyRest = trace.subscribe({ filter: (e) => e.category === 'rest' })!;
  trace.emit({ category: 'message', event: 'messageIn' });
  trace.emit({ category: 'rest', event: 'restCall', status: 202 });
  assert.equal(onlyRest.queued, 1);
  const more = [];
  for (let i = 1; i < MAX_SUBSCRIBERS_PER_RESOURCE; i++) more.push(trace.subscribe()!);
  assert.equal(trace.subscribe(), undefined, 'one viewer too many');
  bus.remove(ID);
  assert.ok(more.every((s) => s.closed !== undefined) && onlyRest.closed !== undefined);
  assert.equal(bus.find(ID), undefined);
});

test('redaction: credentials, signatures, cookies and secret-looking query values never show', () => {
  const h = redactHeaders({
    Authorization: 'Bearer eyJhbGciOi.x.y', 'ce-signature': 'sha256=aa,sha256=bb', Cookie: 'a=b', 'X-Functions-Key': 'k',
    'ce-connectionId': 'c1', 'X-ASRS-Signature': 'sha256=cc',
  });
  assert.match(h.Authorization!, new RegExp(`^Bearer ${REDACTED}`));
  assert.equal(h['ce-signature'], `2 × sha256 ${REDACTED}`);
  assert.equal(h['X-ASRS-Signature'], `1 × sha256 ${REDACTED}`);
  assert.equal(h.Cookie, REDACTED);
  assert.equal(h['X-Functions-Key'], REDACTED);
  assert.equal(h['ce-connectionId'], 'c1');
  assert.ok(!JSON.stringify(h).includes('aa') && !JSON.stringify(h).includes('eyJ'));
  assert.equal(describeSignature('sha256=1'), `1 × sha256 ${REDACTED}`);
  const u = redactUrl('https://user:pw@app.test/api/x?code=secret1&sig=secret2&hub=chat');
  assert.ok(!u.includes('secret1') && !u.includes('secret2') && !u.includes('pw'), u);
  assert.match(u, /hub=chat/);
});

test('bodies are cut to the documented size; binary bodies are base64', () => {
  const big = previewBody(Buffer.alloc(MAX_BODY_PREVIEW_BYTES + 100, 'a'), 'text/plain');
  assert.equal(big.truncated, true);
  assert.equal(big.bytes, MAX_BODY_PREVIEW_BYTES + 100);
  assert.equal(big.text.length, MAX_BODY_PREVIEW_BYTES);
  const bin = previewBody(Buffer.from([0, 1, 2, 255]), 'application/octet-stream');
  assert.equal(bin.encoding, 'base64');
  assert.equal(bin.text, Buffer.from([0, 1, 2, 255]).toString('base64'));
});

test('a bearer token is shown decoded without its signature', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwt = await new SignJWT({ aud: 'api://upstream', oid: 'o1' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
  const d = decodeBearer(`Bearer ${jwt}`)!;
  assert.equal(d.claims.aud, 'api://upstream');
  assert.equal(d.header.kid, 'k1');
  assert.equal(d.signatureRemoved, true);
  assert.ok(!JSON.stringify(d).includes(jwt.split('.')[2]!), 'no signature');
  assert.equal(decodeBearer('Bearer not-a-jwt'), undefined);
});

test('the inspector keeps the last N calls, each attempt, redacted; replay makes a new capture', async () => {
  const emitted: string[] = [];
  const inspector = new UpstreamInspector((e) => emitted.push(`${e.event}:${String(e.status)}`), 3);
  const begin = (n: number, replay?: () => Promise<string | undefined>) => inspector.begin({
    protocol: 'webpubsub', hub: 'chat', event: 'message', eventType: 'user', connectionId: `c${n}`, handlerIndex: 0,
    url: new URL('http://127.0.0.1:1/eventhandler?code=topsecret'), displayUrl: 'http://127.0.0.1:1/eventhandler?code=***',
    headers: { 'Content-Type': 'text/plain', 'ce-signature': 'sha256=deadbeef' }, body: Buffer.from(`hello ${n}`), replay,
  });
  for (let i = 0; i < 5; i++) {
    const r = begin(i);
    r.attempt({ status: 503, headers: {}, body: Buffer.from('busy'), durationMs: 1 });
    r.attempt({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('ok'), durationMs: 1 });
    r.done();
  }
  const list = inspector.list();
  assert.deepEqual(list.map((c) => c.connectionId), ['c4', 'c3', 'c2'], 'newest first, at most 3');
  assert.equal(list[0]!.attempts.length, 2);
  assert.equal(list[0]!.outcome, 200);
  assert.equal(list[0]!.request.body.text, 'hello 4');
  const text = JSON.stringify(list);
  assert.ok(!text.includes('topsecret') && !text.includes('deadbeef'), 'no secrets in captures');
  assert.deepEqual(emitted.slice(-1), ['upstreamCall:200']);
  await assert.rejects(inspector.replay(list[0]!.id), /./, 'no replay function: not replayable');
  let replayed = 0;
  const original = begin(9, async () => {
    replayed++;
    const again = begin(10);
    again.done({ error: 'network', message: 'refused' });
    return again.id;
  });
  original.done();
  const again = await inspector.replay(original.id);
  assert.equal(replayed, 1);
  assert.equal(again.outcome, 'network');
  assert.equal(again.failure, 'refused');
});
