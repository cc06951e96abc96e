/**
 * SignalR serverless upstream, driven by the unmodified @microsoft/signalr client (JSON and
 * MessagePack): connected / messages / disconnected reach a real HTTP app with every X-ASRS-*
 * header, signatures that verify with either access key, the client's own unframed invocation as
 * the body; the app's answers become the waiting client's Completion.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { HttpTransportType } from '@microsoft/signalr';
import { decode, encode } from '@msgpack/msgpack';
import { PRIMARY, SECONDARY, startHarness, until } from './support.ts';
import type { Harness } from './support.ts';
import { startSignalRServerless, startUpstreamApp } from './signalr-support.ts';
import type { SeenRequest, UpstreamApp } from './signalr-support.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

function varInt(n: number): Buffer {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return Buffer.from(out);
}

/** The framed Completion an app (as the Functions extension does) writes in the client's protocol. */
function framedCompletion(q: SeenRequest, result: unknown): Buffer {
  if (q.headers['content-type'] === 'application/x-msgpack') {
    const id = (decode(q.body) as unknown[])[2] as string;
    const body = Buffer.from(encode([3, {}, id, 3, result]));
    return Buffer.concat([varInt(body.length), body]);
  }
  const id = (JSON.parse(q.body.toString()) as { invocationId: string }).invocationId;
  return Buffer.from(`${JSON.stringify({ type: 3, invocationId: id, result })}\u001e`);
}

/** An app that answers by event name, as hub methods would. */
function functionsLike(q: SeenRequest, res: import('node:http').ServerResponse): void {
  const event = String(q.headers['x-asrs-event']);
  if (q.headers['x-asrs-category'] !== 'messages') { res.writeHead(200).end(); return; }
  const args = q.headers['content-type'] === 'application/x-msgpack' ? (decode(q.body) as unknown[])[4] as unknown[] : (JSON.parse(q.body.toString()) as { arguments: unknown[] }).arguments;
  switch (event) {
    case 'echo': res.writeHead(200, { 'Content-Type': String(q.headers['content-type']) }).end(framedCompletion(q, `echo:${String(args[0])}`)); return;
    case 'nothing': res.writeHead(200).end(); return;
    case 'noContent': res.writeHead(204).end(); return;
    case 'forbidden': res.writeHead(403).end('no'); return;
    case 'broken': res.writeHead(500).end(); return;
    case 'garbage': res.writeHead(200).end('{"type":3,"invocationId":"x"'); return;
    default: res.writeHead(200).end();
  }
}

function expectSignature(header: unknown, connectionId: string): void {
  const hex = (key: string) => createHmac('sha256', key).update(connectionId).digest('hex');
  assert.equal(header, `sha256=${hex(PRIMARY)},sha256=${hex(SECONDARY)}`);
  // What an app does: accept when any entry matches one of its keys (each key alone verifies).
  const entries = String(header).split(',').map((s) => s.trim().replace(/^sha256=/, ''));
  for (const key of [PRIMARY, SECONDARY]) assert.ok(entries.includes(hex(key)), 'the signature verifies with each access key');
}

let app: UpstreamApp;
before(async () => { app = await startUpstreamApp(functionsLike); });
after(async () => { await app.close(); });

for (const protocol of ['json', 'messagepack'] as const) {
  test(`${protocol}: connected, messages and disconnected reach the app with every header and the client's own body`, async (t) => {
    app.requests.length = 0;
    const s = await startSignalRServerless(h);
    t.after(() => s.stop());
    s.templates.push({ urlTemplate: `${app.url}/{hub}/api/{category}/{event}` });
    const alice = await s.connect('alice', { protocol, query: '&foo=bar' });
    const id = alice.connectionId!;
    await until(() => app.requests.length >= 1, 5000, 'connected');
    await alice.send('notify', 'hi', 7);
    await until(() => app.requests.length >= 2, 5000, 'notify');
    await alice.stop();
    await until(() => app.requests.length >= 3, 5000, 'disconnected');

    assert.deepEqual(app.requests.map((q) => `${q.method} ${q.path}`), ['POST /chat/api/connections/connected', 'POST /chat/api/messages/notify', 'POST /chat/api/connections/disconnected']);
    const [connected, notify, disconnected] = app.requests as [SeenRequest, SeenRequest, SeenRequest];
    for (const q of app.requests) {
      assert.equal(q.headers['x-asrs-connection-id'], id);
      assert.equal(q.headers['x-asrs-hub'], 'chat');
      assert.equal(q.headers['x-asrs-user-id'], 'alice');
      assert.equal(q.headers['x-asrs-user-claims'], 'nameid: alice, role: reader, role: writer', 'user claims only: no token or system claims');
      assert.equal(q.headers['x-asrs-client-query'], '?hub=Chat&foo=bar', 'the connect query without the token and connection token');
      assert.equal(q.headers.authorization, undefined, 'no auth configured');
      assert.equal(q.headers['ce-specversion'], undefined);
      expectSignature(q.headers['x-asrs-signature'], id);
    }
    assert.equal(connected.headers['x-asrs-category'], 'connections');
    assert.equal(connected.headers['x-asrs-event'], 'connected');
    assert.equal(connected.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(connected.body.toString()), { type: 10 });
    assert.equal(notify.headers['x-asrs-category'], 'messages');
    assert.equal(notify.headers['x-asrs-event'], 'notify');
    if (protocol === 'json') {
      assert.equal(notify.headers['content-type'], 'application/json');
      assert.ok(!notify.body.includes(0x1e), 'no record separator: the body is unframed');
      assert.deepEqual(JSON.parse(notify.body.toString()), { type: 1, target: 'notify', arguments: ['hi', 7] });
    } else {
      assert.equal(notify.headers['content-type'], 'application/x-msgpack');
      assert.deepEqual(decode(notify.body), [1, {}, null, 'notify', ['hi', 7]], 'no VarInt prefix: the body is the MessagePack array itself');
    }
    assert.equal(disconnected.headers['x-asrs-event'], 'disconnected');
    assert.equal(disconnected.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(disconnected.body.toString()), { Type: 11 });
    await until(() => s.upstream.pendingConnections === 0, 2000, 'the connection state is dropped');
  });

  test(`${protocol}: the app's answers become the waiting client's Completion`, async (t) => {
    const s = await startSignalRServerless(h);
    t.after(() => s.stop());
    s.templates.push({ urlTemplate: `${app.url}/{hub}/api/{category}/{event}` });
    const c = await s.connect('bob', { protocol });
    assert.equal(await c.invoke('echo', 'x'), 'echo:x', 'a framed Completion is forwarded verbatim');
    assert.equal(await c.invoke('nothing'), undefined, '200 without a body: Completion without result');
    assert.equal(await c.invoke('noContent'), undefined, '204: Completion without result');
    await assert.rejects(c.invoke('forbidden'), /Invocation failed, status code 403/);
    const before500 = app.requests.length;
    await assert.rejects(c.invoke('broken'), /Invocation failed, status code 500/);
    assert.equal(app.requests.length - before500, 3, '5xx is retried within the deadline, then reported');
    await assert.rejects(c.invoke('garbage'), /Invocation failed, the upstream response is not a framed/);
    const streamError = await new Promise<string>((resolve) => {
      c.stream('count', 3).subscribe({ next: () => resolve('item'), complete: () => resolve('complete'), error: (e: Error) => resolve(e.message) });
    });
    assert.match(streamError, /Streaming invocations are not supported in serverless mode/);
    // The connection is still healthy after every failure.
    assert.equal(await c.invoke('echo', 'again'), 'echo:again');
    const q = app.requests.findLast((r) => r.headers['x-asrs-event'] === 'echo')!;
    if (protocol === 'json') assert.match(q.body.toString(), /^\{"target":"echo","arguments":\["again"\],"invocationId":"\d+","type":1\}$/, 'the client\'s bytes as it wrote them');
    else assert.deepEqual((decode(q.body) as unknown[]).slice(3), ['echo', ['again']]);
  });
}

test('anonymous clients: no user id nor claims header; long polling and SSE work too', async (t) => {
  app.requests.length = 0;
  const s = await startSignalRServerless(h);
  t.after(() => s.stop());
  s.templates.push({ urlTemplate: `${app.url}/{hub}/api/{category}/{event}` });
  const lp = await s.connect('anon', { transport: HttpTransportType.LongPolling });
  const sse = await s.connect('carol', { transport: HttpTransportType.ServerSentEvents, protocol: 'json' });
  assert.equal(await lp.invoke('echo', 'lp'), 'echo:lp');
  assert.equal(await sse.invoke('echo', 'sse'), 'echo:sse');
  const fromLp = app.requests.filter((q) => q.headers['x-asrs-connection-id'] === lp.connectionId);
  assert.ok(fromLp.length >= 2);
  for (const q of fromLp) {
    assert.equal(q.headers['x-asrs-user-id'], undefined);
    assert.equal(q.headers['x-asrs-user-claims'], undefined);
  }
});

test('a resource without access keys sends no signature header', async (t) => {
  app.requests.length = 0;
  const s = await startSignalRServerless(h, { getAccessKeys: () => ({ primaryKey: '', secondaryKey: '' }) });
  t.after(() => s.stop());
  s.templates.push({ urlTemplate: `${app.url}/{hub}/api/{category}/{event}` });
  const c = await s.connect('dave');
  assert.equal(await c.invoke('echo', 1), 'echo:1');
  assert.ok(app.requests.length >= 2);
  for (const q of app.requests) assert.equal(q.headers['x-asrs-signature'], undefined);
});
