/**
 * Sessions over the real transports, driven by the unmodified @microsoft/signalr client on every
 * transport × protocol it can use: handshake, invoke with a completion, a broadcast encoded once
 * per protocol, client Pings and server keep-alive, service close with an error, client stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { availableTransports, negotiateResponse, newConnectionIds, SignalRMessage, TRANSFER_FORMAT } from '../../../src/protocols/signalr/index.ts';
import { KeepAliveClock } from '../../../src/protocols/signalr/keep-alive.ts';
import { SignalRSession, type SignalRSessionHost } from '../../../src/protocols/signalr/session.ts';
import { TransportDispatcher } from '../../../src/transports/index.ts';

async function harness(timing: { keepAliveMs?: number } = {}) {
  const clock = new KeepAliveClock(50);
  const sessions = new Set<SignalRSession>();
  const endings: Array<string | undefined> = [];
  const dispatcher = new TransportDispatcher({ maxBufferedBytes: 1 << 20, maxSendBytes: 1 << 20, pollTimeoutMs: 2_000, inactivityTimeoutMs: 5_000, startTimeoutMs: 5_000, maxPendingStarts: 100 });
  const host: SignalRSessionHost = {
    opened: (s) => { sessions.add(s); return undefined; },
    message: (s, { message: m }) => {
      if (m.type !== 1) return;
      if (m.target === 'echo' && m.invocationId) s.send({ type: 3, invocationId: m.invocationId, resultKind: 'result', result: m.arguments });
      if (m.target === 'broadcast') {
        const msg = SignalRMessage.invocation('news', m.arguments);
        for (const p of sessions) p.deliver(msg);
      }
      if (m.target === 'kickMe') s.close('closed by the service');
    },
    ended: (s, error) => { sessions.delete(s); endings.push(error); },
  };
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const reply = (res: import('node:http').ServerResponse) => (status: number, message: string) => res.writeHead(status, { 'content-type': 'text/plain' }).end(message);
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/client/negotiate') {
      const ids = newConnectionIds();
      dispatcher.register(ids.connectionToken, 'chat', undefined, (transport) => {
        const formats = transport === 'ServerSentEvents' ? ['Text' as const] : ['Text' as const, 'Binary' as const];
        return new SignalRSession(host, { connectionId: ids.connectionId, clock, transferFormats: formats, ...timing });
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(negotiateResponse(1, ids, availableTransports(undefined))));
      return;
    }
    dispatcher.request(req, res, url.searchParams.get('id'), 'chat', reply(res));
  });
  http.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://x');
    dispatcher.upgrade(url.searchParams.get('id'), 'chat', (accepted) => wss.handleUpgrade(req, socket, head, accepted), (status, message) => {
      socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-length: ${Buffer.byteLength(message)}\r\nconnection: close\r\n\r\n${message}`);
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/client/?hub=chat`,
    sessions, endings, dispatcher,
    async stop() {
      clock.stop();
      for (const s of sessions) s.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

function client(url: string, transport: HttpTransportType, protocol: 'json' | 'messagepack'): HubConnection {
  const b = new HubConnectionBuilder().withUrl(url, { transport }).configureLogging(LogLevel.None);
  return (protocol === 'messagepack' ? b.withHubProtocol(new MessagePackHubProtocol()) : b).build();
}

const cases: Array<[string, HttpTransportType, 'json' | 'messagepack']> = [
  ['WebSockets', HttpTransportType.WebSockets, 'json'],
  ['WebSockets', HttpTransportType.WebSockets, 'messagepack'],
  ['ServerSentEvents', HttpTransportType.ServerSentEvents, 'json'],
  ['LongPolling', HttpTransportType.LongPolling, 'json'],
  ['LongPolling', HttpTransportType.LongPolling, 'messagepack'],
];

for (const [name, transport, protocol] of cases) {
  test(`official client over ${name} with ${protocol}: invoke, broadcast, service close, stop`, async (t) => {
    const server = await harness();
    t.after(() => server.stop());
    const a = client(server.url, transport, protocol);
    const b = client(server.url, transport, protocol);
    await a.start();
    await b.start();
    assert.equal(server.sessions.size, 2);
    for (const s of server.sessions) {
      assert.equal(s.transport?.name, name);
      assert.equal(s.protocol, protocol);
      assert.equal(TRANSFER_FORMAT[s.protocol!], protocol === 'json' ? 'Text' : 'Binary');
    }
    assert.ok([...server.sessions].some((s) => s.connectionId === a.connectionId), 'the client sees the negotiated connection id');
    const args = ['héllo 🌍', 42, { nested: [true, null] }];
    assert.deepStrictEqual(await a.invoke('echo', ...args), args);
    const got = (c: HubConnection) => new Promise<unknown[]>((r) => c.on('news', (...x: unknown[]) => r(x)));
    const both = Promise.all([got(a), got(b)]);
    await a.send('broadcast', 'to all');
    assert.deepStrictEqual(await both, [['to all'], ['to all']]);
    const closed = new Promise<Error | undefined>((r) => a.onclose(r));
    await a.send('kickMe');
    assert.match(String(await closed), /Server returned an error on close: closed by the service/);
    await b.stop();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.sessions.size, 0);
    assert.ok(server.endings.includes('closed by the service'));
  });
}

test('keep-alive: an idle WebSocket client gets Pings and stays connected past its 30 s server timeout window (scaled down)', async (t) => {
  const server = await harness({ keepAliveMs: 100 });
  t.after(() => server.stop());
  const c = new HubConnectionBuilder().withUrl(server.url, { transport: HttpTransportType.WebSockets }).configureLogging(LogLevel.None).build();
  c.serverTimeoutInMilliseconds = 500; // the client drops the server after 0.5 s of silence
  await c.start();
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(c.state, 'Connected', 'server pings kept the client from timing out');
  await c.stop();
});

test('transport rules: unknown id 404, no id 400, send to a WebSocket connection 405', async (t) => {
  const server = await harness();
  t.after(() => server.stop());
  const base = server.url.replace('/client/?hub=chat', '');
  assert.equal((await fetch(`${base}/client/?hub=chat&id=nope`)).status, 404);
  assert.equal((await fetch(`${base}/client/?hub=chat`, { method: 'POST', body: 'x' })).status, 400);
  const c = client(server.url, HttpTransportType.WebSockets, 'json');
  await c.start();
  t.after(() => c.stop());
  // The negotiate behind c registered its token; a POST to it must be refused, not delivered.
  const neg = await (await fetch(`${base}/client/negotiate?hub=chat&negotiateVersion=1`, { method: 'POST' })).json() as { connectionToken: string };
  assert.equal((await fetch(`${base}/client/?hub=chat&id=${neg.connectionToken}`, { method: 'POST', body: 'x' })).status, 404, 'a send before any transport started');
  assert.equal((await fetch(`${base}/client/?hub=chat&id=${neg.connectionToken}`, { method: 'DELETE' })).status, 400);
});
