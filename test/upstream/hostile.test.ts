/**
 * Abuse protection and hostile handlers: validation gates delivery and its status says why;
 * slow, failing, huge, redirecting, resetting and ill-typed handlers fail their own events only,
 * with retries exactly where Azure retries (408, 5xx, transient network errors).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { OnServerDataMessageArgs } from '@azure/web-pubsub-client';
import { startExpressApp, startHarness, startUpstreamResource, sleep, until, within } from './support.ts';
import type { Harness, UpstreamResource } from './support.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

interface Hit { method: string; path: string; headers: IncomingMessage['headers'] }

/** A raw handler whose behaviour per path is chosen by the test; it always passes validation unless told not to. */
async function rawHandler(behave: (req: IncomingMessage, res: ServerResponse, hits: Hit[]) => void): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    hits.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => behave(req, res, hits));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, hits, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const allowOptions = (req: IncomingMessage, res: ServerResponse): boolean => {
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(200, { 'WebHook-Allowed-Origin': '*' }).end();
  return true;
};

test('abuse protection: a handler that fails validation gets no events and its status says why; OPTIONS 404 falls back to GET', async () => {
  const r = await startUpstreamResource(h, 'chat');
  const refusing = await rawHandler((req, res) => {
    if (req.method === 'OPTIONS') res.writeHead(200).end(); // no WebHook-Allowed-Origin
    else res.writeHead(204).end();
  });
  const wrongOrigin = await rawHandler((req, res) => {
    if (req.method === 'OPTIONS') res.writeHead(200, { 'WebHook-Allowed-Origin': 'evil.example.com' }).end();
    else res.writeHead(204).end();
  });
  const getOnly = await rawHandler((req, res) => {
    if (req.method === 'OPTIONS') res.writeHead(404).end();
    else if (req.method === 'GET') res.writeHead(200, { 'WebHook-Allowed-Origin': 'localhost' }).end();
    else res.writeHead(204).end();
  });
  try {
    r.handlers.a = [{ urlTemplate: `${refusing.url}/{hub}/{event}`, systemEvents: ['connect', 'connected'] }];
    r.handlers.b = [{ urlTemplate: `${wrongOrigin.url}/{hub}/{event}`, systemEvents: ['connect'] }];
    r.handlers.c = [{ urlTemplate: `${getOnly.url}/{hub}/{event}`, systemEvents: ['connect'] }];
    await assert.rejects(within(r.client('a').start()));
    assert.deepEqual(refusing.hits.map((x) => `${x.method} ${x.path}`), ['OPTIONS /a/validate']);
    assert.equal(refusing.hits[0]!.headers['ce-awpsversion'], '1.0');
    assert.equal(refusing.hits[0]!.headers['webhook-request-origin'], 'localhost');
    const [sa] = r.upstream.status('a');
    assert.equal(sa!.status, 'Failed');
    assert.match(sa!.reason!, /without a WebHook-Allowed-Origin header/);

    await assert.rejects(within(r.client('b').start()));
    assert.match(r.upstream.status('b')[0]!.reason!, /does not allow 'localhost'/);
    assert.equal(wrongOrigin.hits.filter((x) => x.method === 'POST').length, 0);

    const c = r.client('c');
    await within(c.start());
    c.stop();
    assert.deepEqual(getOnly.hits.map((x) => `${x.method} ${x.path}`), ['OPTIONS /c/validate', 'GET /c/validate', 'POST /c/connect']);
    assert.equal(r.upstream.status('c')[0]!.status, 'Validated');
  } finally {
    await r.close();
    await Promise.all([refusing.close(), wrongOrigin.close(), getOnly.close()]);
  }
});

test('express allowedEndpoints (host:port form) passes validation', async () => {
  const r = await startUpstreamResource(h, 'chat');
  const app = await startExpressApp('chat', { allowedEndpoints: [r.endpoint], handleConnect: (_q, res) => res.success() });
  try {
    r.handlers.chat = [{ urlTemplate: `${app.url}/eventhandler/{event}`, systemEvents: ['connect'] }];
    const client = r.client('chat');
    await within(client.start());
    client.stop();
    assert.equal(r.upstream.status('chat')[0]!.status, 'Validated');
  } finally {
    await r.close();
    await app.close();
  }
});

async function eventOutcome(r: UpstreamResource, hub: string): Promise<{ ok: true; data: unknown } | { ok: false; name: string; message: string }> {
  const client = r.client(hub, {}, { protocol: undefined });
  const replies: OnServerDataMessageArgs['message'][] = [];
  client.on('server-message', (e) => { replies.push(e.message); });
  await within(client.start());
  try {
    await client.sendEvent('ping', 'x', 'text');
    await sleep(50);
    return { ok: true, data: replies[0]?.data };
  } catch (e: any) {
    return { ok: false, name: e.errorDetail?.name, message: e.errorDetail?.message };
  } finally {
    client.stop();
  }
}

test('hostile handlers fail their own events (with Azure\'s retries) and never hold up other connections', async () => {
  const r = await startUpstreamResource(h, 'chat', {
    timing: { requestTimeoutMs: 1500, retryDelaysMs: [20, 20, 20], validationTimeoutMs: 1000 },
    limits: { maxResponseBytes: 64 * 1024 },
  });
  let slowReleased = false;
  const hostile = await rawHandler((req, res) => {
    if (allowOptions(req, res)) return;
    const hub = (req.url ?? '').split('/')[1];
    switch (hub) {
      case 'slow': setTimeout(() => { if (!res.destroyed) res.writeHead(200, { 'Content-Type': 'text/plain' }).end('late'); slowReleased = true; }, 5000); return;
      case 'fivexx': res.writeHead(503).end('down'); return;
      case 'huge': res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); res.end(Buffer.alloc(5 * 1024 * 1024, 1)); return;
      case 'chunked': {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        const chunk = Buffer.alloc(16 * 1024, 97);
        let n = 0;
        const t = setInterval(() => { if (res.destroyed || n++ > 500) { clearInterval(t); res.end(); } else res.write(chunk); }, 1);
        return;
      }
      case 'redirect': res.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere' }).end(); return;
      case 'reset': req.socket.destroy(); return;
      case 'badjson': res.writeHead(200, { 'Content-Type': 'application/json' }).end('{not json'); return;
      case 'html': res.writeHead(200, { 'Content-Type': 'text/html' }).end('<b>hi</b>'); return;
      case 'teapot': res.writeHead(418).end(); return;
      default: res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('fine');
    }
  });
  try {
    for (const hub of ['slow', 'fivexx', 'huge', 'chunked', 'redirect', 'reset', 'badjson', 'html', 'teapot', 'good']) {
      r.handlers[hub] = [{ urlTemplate: `${hostile.url}/${hub}/{event}`, userEventPattern: '*' }];
    }
    // A slow handler holds its own connection's event; another hub's connection is served meanwhile.
    const slow = eventOutcome(r, 'slow');
    await sleep(100);
    const started = Date.now();
    assert.deepEqual(await eventOutcome(r, 'good'), { ok: true, data: 'fine' });
    assert.ok(Date.now() - started < 1000, 'the good handler answered while the slow one was pending');
    const slowResult = await slow;
    assert.equal(slowResult.ok, false);
    assert.match((slowResult as { message: string }).message, /did not answer in time/);
    assert.equal(slowReleased, false, 'the deadline, not the handler, ended the slow event');

    const countPosts = (hub: string) => hostile.hits.filter((x) => x.method === 'POST' && x.path.startsWith(`/${hub}/`)).length;
    const fivexx = await eventOutcome(r, 'fivexx');
    assert.deepEqual(fivexx, { ok: false, name: 'InvocationFailed', message: 'The event handler answered 503.' });
    assert.equal(countPosts('fivexx'), 4, '503 is retried three times');

    const teapot = await eventOutcome(r, 'teapot');
    assert.deepEqual(teapot, { ok: false, name: 'InvocationFailed', message: 'The event handler answered 418.' });
    assert.equal(countPosts('teapot'), 1, '4xx is not retried');

    assert.match((await eventOutcome(r, 'huge') as { message: string }).message, /too large/);
    assert.match((await eventOutcome(r, 'chunked') as { message: string }).message, /too large/);

    assert.match((await eventOutcome(r, 'redirect') as { message: string }).message, /302 \(redirects are not followed\)/);
    assert.equal(countPosts('redirect'), 1);

    const reset = await eventOutcome(r, 'reset');
    assert.equal(reset.ok, false);
    assert.equal(countPosts('reset'), 4, 'a reset connection is a transient failure: retried');

    assert.match((await eventOutcome(r, 'badjson') as { message: string }).message, /invalid JSON/);
    const html = await eventOutcome(r, 'html');
    assert.equal(html.ok, true, 'other content types reach the client as binary');
    assert.ok((html as { data: unknown }).data instanceof ArrayBuffer);

    await until(() => r.upstream.trackedConnections === 0, 5000, 'per-connection state released');
  } finally {
    await r.close();
    await hostile.close();
  }
});

test('an unreachable handler fails connect quickly with 500; other hubs keep working', async () => {
  const r = await startUpstreamResource(h, 'chat', { timing: { requestTimeoutMs: 1500, retryDelaysMs: [20], validationTimeoutMs: 500 } });
  const app = await startExpressApp('chat', { handleConnect: (_q, res) => res.success() });
  try {
    r.handlers.down = [{ urlTemplate: 'http://127.0.0.1:1/{event}', systemEvents: ['connect'] }];
    r.handlers.chat = [{ urlTemplate: `${app.url}/eventhandler/{event}`, systemEvents: ['connect'] }];
    await assert.rejects(within(r.client('down').start()));
    assert.match(r.upstream.status('down')[0]!.reason!, /connection was refused/);
    const ok = r.client('chat');
    await within(ok.start());
    ok.stop();
  } finally {
    await r.close();
    await app.close();
  }
});

test('private and link-local targets are refused unless allowPrivateTargets; loopback always works', async () => {
  const r = await startUpstreamResource(h, 'chat');
  try {
    for (const [hub, target] of [['p10', 'http://10.1.2.3/{event}'], ['meta', 'http://169.254.169.254/{event}'], ['ula', 'http://[fd00::1]/{event}'], ['zero', 'http://0.0.0.0:1/{event}']] as const) {
      r.handlers[hub] = [{ urlTemplate: target, systemEvents: ['connect'] }];
      const started = Date.now();
      await assert.rejects(within(r.client(hub).start()));
      assert.ok(Date.now() - started < 2000, `${hub} is refused without a network attempt`);
      const reason = r.upstream.status(hub)[0]!.reason!;
      if (hub === 'zero') assert.match(reason, /cannot be used for event handlers/);
      else assert.match(reason, /set allowPrivateTargets/);
    }
  } finally {
    await r.close();
  }
  // With the setting on, a private address is attempted (and here simply unreachable).
  const allowed = await startUpstreamResource(h, 'chat', { allowPrivateTargets: () => true, timing: { requestTimeoutMs: 300, retryDelaysMs: [], validationTimeoutMs: 300 } });
  try {
    allowed.handlers.p10 = [{ urlTemplate: 'http://10.255.255.1/{event}', systemEvents: ['connect'] }];
    await assert.rejects(within(allowed.client('p10').start()));
    assert.doesNotMatch(allowed.upstream.status('p10')[0]!.reason!, /allowPrivateTargets/);
  } finally {
    await allowed.close();
  }
});

test('connected/disconnected are non-blocking: a handler that never answers them does not delay the client', async () => {
  const r = await startUpstreamResource(h, 'chat', { timing: { requestTimeoutMs: 2000, retryDelaysMs: [], validationTimeoutMs: 500 } });
  const never = await rawHandler((req, res) => {
    if (allowOptions(req, res)) return;
    if ((req.url ?? '').endsWith('/connected')) return; // hang
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  });
  try {
    r.handlers.chat = [{ urlTemplate: `${never.url}/{event}`, userEventPattern: '*', systemEvents: ['connected', 'disconnected'] }];
    const client = r.client('chat');
    const started = Date.now();
    await within(client.start());
    await client.sendEvent('e', 'x', 'text');
    assert.ok(Date.now() - started < 1500, 'start and a user event did not wait for connected');
    client.stop();
    await until(() => never.hits.some((x) => x.path === '/disconnected'), 5000, 'disconnected sent');
  } finally {
    await r.close();
    await never.close();
  }
});
