import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { LongPollingTransport, Outbound, SseTransport, WebSocketTransport, type TransportEnd } from '../../src/transports/index.ts';

function recorder() {
  const data: Array<{ text: string; binary: boolean }> = [];
  const ends: TransportEnd[] = [];
  let onEnd: (() => void) | undefined;
  return {
    data, ends,
    ended: () => new Promise<void>((r) => { if (ends.length) r(); else onEnd = r; }),
    events: { data: (b: Buffer, binary: boolean) => data.push({ text: b.toString('utf8'), binary }), end: (w: TransportEnd) => { ends.push(w); onEnd?.(); } },
  };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, path: string, method = 'GET', body?: string): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('WebSocket transport: one frame build per message for every peer, order kept, text and binary, inbound reaches the session', async () => {
  const { server, port } = await listen((_q, s) => s.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const transports: WebSocketTransport[] = [];
  const rec = recorder();
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    wss.handleUpgrade(req, socket, head, (ws) => transports.push(new WebSocketTransport(ws, { maxBufferedBytes: 1 << 20 }, rec.events)));
  });
  const clients = await Promise.all([0, 1, 2].map(() => new Promise<{ ws: WebSocket; got: Array<{ s: string; b: boolean }> }>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const got: Array<{ s: string; b: boolean }> = [];
    ws.on('message', (d, b) => got.push({ s: (d as Buffer).toString(), b }));
    ws.on('open', () => resolve({ ws, got }));
  })));
  while (transports.length < 3) await new Promise((r) => setTimeout(r, 5));
  const shared = Outbound.of(Buffer.from('hello'));
  for (let i = 0; i < 50; i++) for (const t of transports) t.send(i === 0 ? shared : Outbound.of(Buffer.from(`m${i}`)));
  for (const t of transports) t.send(Outbound.of(Buffer.from([1, 2, 3]), true));
  assert.equal(shared.webSocketFrame(), shared.webSocketFrame(), 'the frame is built once and reused');
  await new Promise((r) => setTimeout(r, 100));
  for (const c of clients) {
    assert.equal(c.got.length, 51);
    assert.deepEqual(c.got[0], { s: 'hello', b: false });
    assert.deepEqual(c.got[49], { s: 'm49', b: false });
    assert.equal(c.got[50]!.b, true);
  }
  clients[0]!.ws.send('from client');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(rec.data, [{ text: 'from client', binary: false }]);
  transports[1]!.close(4000, 'bye');
  const code = await new Promise<number>((r) => clients[1]!.ws.on('close', (c) => r(c)));
  assert.equal(code, 4000);
  for (const c of clients) c.ws.terminate();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(rec.ends.length, 3);
  server.close();
});

test('WebSocket transport: a peer that does not read is dropped with an overflow end, others unaffected', async () => {
  const { server, port } = await listen((_q, s) => s.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const rec = recorder();
  let transport: WebSocketTransport | undefined;
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    wss.handleUpgrade(req, socket, head, (ws) => { transport = new WebSocketTransport(ws, { maxBufferedBytes: 64 * 1024 }, rec.events); });
  });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await new Promise((r) => ws.on('open', r));
  (ws as unknown as { _socket: import('node:net').Socket })._socket.pause(); // stop reading
  while (!transport) await new Promise((r) => setTimeout(r, 5));
  const big = Outbound.of(Buffer.alloc(32 * 1024, 0x61));
  for (let i = 0; i < 2000 && rec.ends.length === 0; i++) {
    transport.send(big);
    await new Promise((r) => setImmediate(r)); // each send flushes alone: only the kernel backlog can trip the limit
  }
  await rec.ended();
  assert.deepEqual(rec.ends[0], { cause: 'overflow' });
  ws.terminate();
  server.close();
});

test('SSE transport: events with data lines (line breaks survive), POSTed sends, close ends the stream', async () => {
  const rec = recorder();
  let sse: SseTransport | undefined;
  const { server, port } = await listen((req, res) => {
    if (req.method === 'GET') { sse = new SseTransport(req, res, { maxBufferedBytes: 1 << 20 }, rec.events); return; }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { sse!.receive(Buffer.concat(chunks)); res.writeHead(200).end(); });
  });
  const streamed = new Promise<{ type: string | undefined; text: string }>((resolve) => {
    request({ host: '127.0.0.1', port, path: '/', headers: { accept: 'text/event-stream' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ type: res.headers['content-type'], text }));
    }).end();
  });
  while (!sse) await new Promise((r) => setTimeout(r, 5));
  sse.send(Outbound.of(Buffer.from('{"type":6}\u001e')));
  sse.send(Outbound.of(Buffer.from('two\nlines')));
  await new Promise((r) => setTimeout(r, 30));
  await get(port, '/', 'POST', 'client says');
  sse.close();
  const { type, text } = await streamed;
  assert.equal(type, 'text/event-stream');
  // Parse as an EventSource does: events end at a blank line; data lines join with LF.
  const events = text.split('\n\n').filter((e) => e.includes('data:')).map((e) => e.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'));
  assert.deepEqual(events, ['{"type":6}\u001e', 'two\nlines']);
  assert.deepEqual(rec.data, [{ text: 'client says', binary: true }]);
  assert.deepEqual(rec.ends, [{ cause: 'server' }]);
  server.close();
});

test('long polling: first poll at once, later polls held until data, timeout gives 200 empty, second poll conflicts, close gives the rest then 204', async () => {
  const rec = recorder();
  const lp = new LongPollingTransport({ maxBufferedBytes: 1 << 20, pollTimeoutMs: 300, inactivityTimeoutMs: 5_000 }, rec.events);
  let conflicts = 0;
  const { server, port } = await listen((req, res) => {
    if (req.method === 'GET') { if (lp.poll(req, res) === 'conflict') { conflicts++; res.writeHead(409).end(); } return; }
    if (req.method === 'DELETE') { lp.remove(); res.writeHead(202).end(); return; }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { lp.receive(Buffer.concat(chunks)); res.writeHead(200).end(); });
  });
  const first = await get(port, '/');
  assert.equal(first.status, 200);
  assert.equal(first.body.length, 0);
  const held = get(port, '/');
  await new Promise((r) => setTimeout(r, 50));
  const second = await get(port, '/');
  assert.equal(second.status, 409, 'a second concurrent poll conflicts');
  lp.send(Outbound.of(Buffer.from('a\u001e')));
  lp.send(Outbound.of(Buffer.from('b\u001e')));
  const got = await held;
  assert.equal(got.status, 200);
  assert.equal(got.body.toString(), 'a\u001eb\u001e', 'messages of one turn share one poll response');
  const empty = await get(port, '/');
  assert.equal(empty.status, 200, 'a held poll times out with 200');
  assert.equal(empty.body.length, 0);
  await get(port, '/', 'POST', 'hi');
  assert.deepEqual(rec.data, [{ text: 'hi', binary: true }]);
  lp.send(Outbound.of(Buffer.from([7, 0]), true));
  lp.close();
  const rest = await get(port, '/');
  assert.equal(rest.status, 200);
  assert.equal(rest.headers['content-type'], 'application/octet-stream');
  assert.deepEqual([...rest.body], [7, 0]);
  const over = await get(port, '/');
  assert.equal(over.status, 204, 'after the end, polls get 204');
  assert.equal(conflicts, 1);
  assert.deepEqual(rec.ends, [{ cause: 'server' }]);
  assert.ok(lp.drained);
  server.close();
});

test('long polling: a client that stops polling is gone; DELETE ends a held poll with 204', async () => {
  const idle = recorder();
  new LongPollingTransport({ maxBufferedBytes: 1024, pollTimeoutMs: 1_000, inactivityTimeoutMs: 100 }, idle.events);
  await idle.ended();
  assert.deepEqual(idle.ends, [{ cause: 'peer' }]);

  const rec = recorder();
  const lp = new LongPollingTransport({ maxBufferedBytes: 1024, pollTimeoutMs: 5_000, inactivityTimeoutMs: 5_000 }, rec.events);
  const { server, port } = await listen((req, res) => {
    if (req.method === 'GET') { lp.poll(req, res); return; }
    lp.remove();
    res.writeHead(202).end();
  });
  await get(port, '/');
  const held = get(port, '/');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal((await get(port, '/', 'DELETE')).status, 202);
  assert.equal((await held).status, 204);
  assert.deepEqual(rec.ends, [{ cause: 'peer' }]);
  const overflow = recorder();
  const small = new LongPollingTransport({ maxBufferedBytes: 10, pollTimeoutMs: 1_000, inactivityTimeoutMs: 5_000 }, overflow.events);
  small.send(Outbound.of(Buffer.alloc(11)));
  await overflow.ended();
  assert.deepEqual(overflow.ends, [{ cause: 'overflow' }]);
  server.close();
});
