/**
 * Bounded under abuse: requests queued for one handler origin are capped (past the cap a blocking
 * event fails at once as a failing handler fails it: `connect` refused with 500, a user event
 * `InvocationFailed`), and pending connected/disconnected events are capped (past it they are
 * dropped, counted and logged). A slow handler therefore holds a bounded amount of memory.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { startHarness, startUpstreamResource, until, within } from './support.ts';
import type { Harness } from './support.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

/** A handler that validates at once and holds every POST until released. */
async function holdingHandler(): Promise<{ url: string; held: ServerResponse[]; posts: string[]; release(): void; close(): Promise<void> }> {
  const held: ServerResponse[] = [];
  const posts: string[] = [];
  let released = false;
  const server: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'OPTIONS') { res.writeHead(200, { 'WebHook-Allowed-Origin': '*' }).end(); return; }
      posts.push(req.url ?? '');
      if (released) res.writeHead(204).end();
      else held.push(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, held, posts,
    release() { released = true; for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(204).end(); },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** The handshake status of a raw WebSocket to the hub (101 when accepted). */
async function handshake(url: string): Promise<{ status: number; close(): void }> {
  const ws = await import('ws');
  return new Promise((resolve) => {
    const sock = new ws.WebSocket(url, 'json.webpubsub.azure.v1');
    sock.on('error', () => undefined);
    sock.once('unexpected-response', (_q, res) => { res.resume(); resolve({ status: res.statusCode ?? 0, close: () => undefined }); });
    sock.once('open', () => resolve({ status: 101, close: () => sock.close() }));
  });
}

test('requests queued per handler origin are bounded: connect beyond the bound is refused with 500 at once', async () => {
  const app = await holdingHandler();
  const r = await startUpstreamResource(h, 'chat', {
    limits: { maxSocketsPerOrigin: 1, maxQueuedPerOrigin: 1 },
    timing: { requestTimeoutMs: 20_000, retryDelaysMs: [], validationTimeoutMs: 2000 },
  });
  try {
    r.handlers.chat = [{ urlTemplate: `${app.url}/{event}`, systemEvents: ['connect'] }];
    const url = async () => (await r.serviceClient('chat').getClientAccessToken()).url;
    const first = handshake(await url());   // on the one socket, held
    await until(() => app.posts.length === 1, 5000, 'first connect reached the handler');
    const second = handshake(await url());  // waits in the origin's queue (1 allowed)
    await until(() => r.upstream.inFlightTo(app.url) === 2, 5000, 'the second connect is queued');
    const third = await within(handshake(await url()), 5000, 'the third handshake is answered without waiting');
    assert.equal(third.status, 500, 'beyond the queue bound: refused as a failing connect handler');
    assert.equal(r.upstream.refusals.queueFull, 1);
    assert.ok(h.logs.some((l) => l.includes('"code":"UpstreamQueueFull"')), 'the refusal is logged with its code');
    app.release();
    const [a, b] = await within(Promise.all([first, second]));
    assert.equal(a.status, 101);
    assert.equal(b.status, 101, 'the queued connect went through once the socket was free');
    a.close();
    b.close();
    // Once the queue drains, new connects are accepted again.
    const later = await within(handshake(await url()));
    assert.equal(later.status, 101);
    later.close();
  } finally {
    await r.close();
    await app.close();
  }
});

test('user events beyond the queue bound fail with InvocationFailed; the connection stays open', async () => {
  const app = await holdingHandler();
  const r = await startUpstreamResource(h, 'chat', {
    limits: { maxSocketsPerOrigin: 1, maxQueuedPerOrigin: 0 },
    timing: { requestTimeoutMs: 20_000, retryDelaysMs: [], validationTimeoutMs: 2000 },
  });
  try {
    r.handlers.chat = [{ urlTemplate: `${app.url}/{event}`, userEventPattern: '*' }];
    const a = r.client('chat');
    const b = r.client('chat');
    await within(Promise.all([a.start(), b.start()]));
    const held = a.sendEvent('slow', 'x', 'text');
    await until(() => app.posts.length === 1, 5000, 'the first event reached the handler');
    await assert.rejects(within(b.sendEvent('refused', 'x', 'text'), 5000), (e: any) => e.errorDetail?.name === 'InvocationFailed' && /not available/.test(e.errorDetail?.message));
    app.release();
    await within(held);
    await within(b.sendEvent('after', 'x', 'text'));
    assert.deepEqual(app.posts, ['/slow', '/after']);
    a.stop();
    b.stop();
  } finally {
    await r.close();
    await app.close();
  }
});

test('pending connected/disconnected events are bounded: beyond it they are dropped, counted and logged', async () => {
  const app = await holdingHandler();
  const r = await startUpstreamResource(h, 'chat', {
    limits: { maxPendingNonBlocking: 2 },
    timing: { requestTimeoutMs: 20_000, retryDelaysMs: [], validationTimeoutMs: 2000 },
  });
  try {
    r.handlers.chat = [{ urlTemplate: `${app.url}/{event}`, systemEvents: ['connected', 'disconnected'] }];
    const clients = Array.from({ length: 4 }, () => r.client('chat'));
    for (const c of clients) await within(c.start());
    await until(() => r.upstream.refusals.nonBlockingDropped >= 2, 5000, 'events beyond the bound dropped');
    assert.ok(h.logs.some((l) => l.includes('"code":"NonBlockingEventDropped"')));
    assert.ok(app.posts.length <= 2, 'at most the bound reached the handler');
    for (const c of clients) c.stop();
    app.release();
    // Dropped disconnected events still release their connections' state.
    await until(() => r.upstream.trackedConnections === 0, 10_000, 'per-connection state released');
  } finally {
    await r.close();
    await app.close();
  }
});

test('a full origin queue during re-validation is no verdict: the handler stays validated', async () => {
  const { WebhookValidator } = await import('../../src/upstream/validation.ts');
  const { HttpCallError } = await import('../../src/upstream/errors.ts');
  const v = new WebhookValidator({
    http: undefined as never, origin: () => ({ hostname: 'localhost', host: 'localhost:1' }),
    revalidateAfterMs: 0, retryMinMs: 0,
  });
  const ok = async () => ({ status: 200, headers: { 'webhook-allowed-origin': '*' }, body: Buffer.alloc(0) });
  const full = async (): Promise<never> => { throw new HttpCallError('queue-full', 'full'); };
  assert.equal((await v.check('k', ok)).status, 'Validated');
  await v.check('k', full); // starts a background re-validation that meets a full queue
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(v.peek('k')!.status, 'Validated');
  assert.equal(v.peek('k')!.code, undefined);
  // A real failure still fails it.
  await until(async () => (await v.check('k', async () => ({ status: 500, headers: {}, body: Buffer.alloc(0) }))) && v.peek('k')!.status === 'Failed', 1000);
  assert.equal(v.peek('k')!.code, 'AbuseProtectionFailed');
});
