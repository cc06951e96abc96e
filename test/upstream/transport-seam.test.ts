/**
 * The upstream transport is protocol-neutral: a protocol brings its own request shape and URL
 * placeholders (here a SignalR-serverless-like `X-ASRS-*` request with `{category}`), and gets
 * target resolution, retries, limits and the address policy without copying any of it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { parseTemplateParts, SignatureCache, UpstreamTransport } from '../../src/upstream/index.ts';
import type { TargetTemplate, UpstreamRequest } from '../../src/upstream/index.ts';
import { PRIMARY, SECONDARY, startHarness } from './support.ts';
import type { Harness } from './support.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('a second protocol plugs its own request shape into the shared transport', async () => {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let failFirst = true;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (failFirst) { failFirst = false; res.writeHead(503).end(); return; }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"type":3,"invocationId":"0","result":"ok"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const outcomes: unknown[] = [];
  const transport = new UpstreamTransport({
    resourceName: 'signalr-like', identity: h.lapis.node.identity, getManagedIdentity: () => undefined,
    log: h.log, timing: { retryDelaysMs: [10] },
    report: (_hub, _index, outcome) => outcomes.push(outcome), // no abuse protection for this protocol
  });
  try {
    const template: TargetTemplate = {
      index: 0, parts: parseTemplateParts(`http://127.0.0.1:${port}/{hub}/api/{category}/{event}`),
      keyVaultReferences: [], audienceResource: undefined,
    };
    const target = await transport.targets.resolve(template, 'chat');
    const signatures = new SignatureCache();
    const request: UpstreamRequest = {
      headers: {
        'Content-Type': 'application/json',
        'X-ASRS-Connection-Id': 'conn-1', 'X-ASRS-Hub': 'chat', 'X-ASRS-Category': 'messages', 'X-ASRS-Event': 'echo',
        'X-ASRS-Signature': signatures.sign('conn-1', { primaryKey: PRIMARY, secondaryKey: SECONDARY }),
      },
      body: Buffer.from('{"type":1,"invocationId":"0","target":"echo","arguments":["x"]}'),
      blocking: true,
    };
    const res = await transport.delivery.send({ url: target.url({ hub: 'chat', category: 'messages', event: 'echo' }), authorization: target.authorization }, request);
    assert.equal(res.status, 200);
    assert.match(res.body.toString(), /"result":"ok"/);
    assert.equal(seen.length, 2, 'the 503 was retried by the shared delivery');
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['POST /chat/api/messages/echo', 'POST /chat/api/messages/echo']);
    assert.equal(seen[1]!.headers['x-asrs-event'], 'echo');
    assert.match(String(seen[1]!.headers['x-asrs-signature']), /^sha256=[0-9a-f]{64},sha256=[0-9a-f]{64}$/);
    assert.equal(seen[1]!.headers['ce-specversion'], undefined, 'no CloudEvents headers leak into another protocol');
    assert.deepEqual(outcomes, [], 'no validation was attempted');
  } finally {
    await transport.close();
    await new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  }
});
