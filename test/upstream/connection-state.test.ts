/**
 * Per-connection upstream state: cookies, connection state, event ordering, and the connection id
 * carried by `connect` (which needs the session seam to pass the id: see docs/upstream.md).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { startExpressApp, startHarness, startUpstreamResource, until, within } from './support.ts';
import type { Harness } from './support.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('cookies set by the handler come back on the connection\'s later events; user events are sent one at a time, in order', async () => {
  const r = await startUpstreamResource(h, 'chat');
  const seen: { path: string; cookie: string | undefined; body: string; at: number }[] = [];
  let active = 0;
  let maxActive = 0;
  const server = createServer((req: IncomingMessage, res) => {
    if (req.method === 'OPTIONS') { res.writeHead(200, { 'WebHook-Allowed-Origin': '*' }).end(); return; }
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      active++;
      maxActive = Math.max(maxActive, active);
      seen.push({ path: req.url ?? '', cookie: req.headers.cookie, body, at: Date.now() });
      const n = seen.length;
      setTimeout(() => {
        active--;
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Set-Cookie': [`n=${n}; Path=/; HttpOnly`, ...(n === 2 ? ['gone=x; Max-Age=0'] : ['gone=y'])] }).end('');
      }, n === 1 ? 200 : 10);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    r.handlers.chat = [{ urlTemplate: `${url}/{event}`, userEventPattern: '*' }];
    const client = r.client('chat');
    await within(client.start());
    await Promise.all([client.sendEvent('first', 'a', 'text'), client.sendEvent('second', 'b', 'text'), client.sendEvent('third', 'c', 'text')]);
    assert.deepEqual(seen.map((s) => s.path), ['/first', '/second', '/third']);
    assert.equal(maxActive, 1, 'never two events of one connection at once');
    assert.equal(seen[0]!.cookie, undefined);
    assert.equal(seen[1]!.cookie, 'n=1; gone=y');
    assert.equal(seen[2]!.cookie, 'n=2', 'Max-Age=0 removes a cookie');
    client.stop();
  } finally {
    await r.close();
    await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  }
});

test('status shows templates with literal codes redacted and Key Vault references as written', async () => {
  const r = await startUpstreamResource(h, 'chat');
  try {
    r.handlers.chat = [
      { urlTemplate: 'https://app.example.com/api/{event}?code=abc123secret&x=1', systemEvents: ['connect'] },
      { urlTemplate: `https://app.example.com/api/{event}?code={@Microsoft.KeyVault(SecretUri=${h.vaultUri}/secrets/c)}`, systemEvents: ['connected'] },
    ];
    const [a, b] = r.upstream.status('chat');
    assert.equal(a!.urlTemplate, 'https://app.example.com/api/{event}?code=***&x=1');
    assert.equal(b!.urlTemplate, `https://app.example.com/api/{event}?code={@Microsoft.KeyVault(SecretUri=${h.vaultUri}/secrets/c)}`);
    assert.equal(a!.status, 'NotValidated');
  } finally {
    await r.close();
  }
});

test('connect carries the connection\'s id, and state set on connect reaches later events', async () => {
  const r = await startUpstreamResource(h, 'chat');
  const ids: Record<string, string> = {};
  const states: unknown[] = [];
  const app = await startExpressApp('chat', {
    handleConnect: (req, res) => { ids.connect = req.context.connectionId; res.setState('from', 'connect'); res.success(); },
    handleUserEvent: (req, res) => { ids.user = req.context.connectionId; states.push({ ...req.context.states }); res.success(); },
  });
  try {
    r.handlers.chat = [{ urlTemplate: `${app.url}/eventhandler/{event}`, userEventPattern: '*', systemEvents: ['connect'] }];
    const client = r.client('chat');
    const connected = new Promise<string>((resolve) => client.on('connected', (e) => resolve(e.connectionId)));
    await within(client.start());
    const id = await connected;
    await client.sendEvent('e', 'x', 'text');
    await until(() => ids.user !== undefined);
    client.stop();
    assert.equal(ids.connect, id);
    assert.deepEqual(states, [{ from: 'connect' }]);
  } finally {
    await r.close();
    await app.close();
  }
});

test('given the connection id (the proposed seam), connect state and cookies follow the connection', async () => {
  const r = await startUpstreamResource(h, 'chat');
  const ids: string[] = [];
  const states: unknown[] = [];
  const app = await startExpressApp('chat', {
    handleConnect: (req, res) => { ids.push(req.context.connectionId); res.setState('from', 'connect'); res.success({ userId: 'u9' }); },
    handleUserEvent: (req, res) => { ids.push(req.context.connectionId); states.push({ ...req.context.states }); res.success('ok', 'text'); },
    onDisconnected: (req) => { ids.push(req.context.connectionId); },
  });
  try {
    r.handlers.chat = [{ urlTemplate: `${app.url}/eventhandler/{event}`, userEventPattern: '*', systemEvents: ['connect', 'disconnected'] }];
    const request = { hub: 'chat', claims: { sub: 'u1' }, query: {}, headers: {}, subprotocols: ['json.webpubsub.azure.v1'], connectionId: 'conn-1' };
    assert.deepEqual(await r.upstream.connect(request), { userId: 'u9' });
    const ctx = { hub: 'chat', connectionId: 'conn-1', userId: 'u9', subprotocol: 'json.webpubsub.azure.v1' };
    r.upstream.connected(ctx);
    const reply = await r.upstream.userEvent(ctx, 'e', { kind: 'text', data: Buffer.from('x') });
    assert.deepEqual({ kind: reply?.kind, data: reply?.data.toString() }, { kind: 'text', data: 'ok' });
    r.upstream.disconnected(ctx, 'bye');
    await until(() => ids.length === 3);
    assert.deepEqual(ids, ['conn-1', 'conn-1', 'conn-1']);
    assert.deepEqual(states, [{ from: 'connect' }]);
    await until(() => r.upstream.trackedConnections === 0);
  } finally {
    await r.close();
    await app.close();
  }
});
