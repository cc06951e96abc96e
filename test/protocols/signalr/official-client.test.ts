/**
 * The protocol layer under the real @microsoft/signalr HubConnection (JSON and MessagePack) over a
 * minimal WebSocket harness built only from this layer: negotiate, handshake, client pings and
 * invocations, completions, an encode-once broadcast, and a server Close with allowReconnect.
 * The real transports and sessions are tested elsewhere; this proves the bytes are right.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { HttpTransportType, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import {
  availableTransports,
  closeMessage,
  encodeHubMessage,
  HubInbound,
  negotiateResponse,
  newConnectionIds,
  parseNegotiateVersion,
  SignalRMessage,
} from '../../../src/protocols/signalr/index.ts';
import type { HubProtocolName, InvocationMessage } from '../../../src/protocols/signalr/index.ts';

interface Peer {
  ws: WebSocket;
  protocol?: HubProtocolName;
}

async function harness() {
  const peers = new Set<Peer>();
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/client/negotiate') {
      const v = parseNegotiateVersion(url.searchParams.get('negotiateVersion'));
      const body = v.ok ? negotiateResponse(v.version, newConnectionIds(), availableTransports(1)) : { error: v.error };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => {
    const peer: Peer = { ws };
    peers.add(peer);
    const inbound = new HubInbound({ transferFormats: ['Text', 'Binary'] });
    const send = (bytes: Buffer) => ws.send(bytes, { binary: peer.protocol === 'messagepack' });
    ws.on('close', () => peers.delete(peer));
    ws.on('message', (data, isBinary) => {
      for (const event of inbound.push(data as Buffer, !isBinary)) {
        if (event.kind === 'handshake') {
          peer.protocol = event.protocol;
          send(event.reply);
        } else if (event.kind === 'handshake-failed' || event.kind === 'violation') {
          ws.send(event.kind === 'violation' ? event.close : event.reply);
          ws.close();
        } else {
          for (const { message } of event.frames) if (message.type === 1) onInvocation(peer, message, send);
        }
      }
    });
  });
  function onInvocation(peer: Peer, m: InvocationMessage, send: (b: Buffer) => void): void {
    const protocol = peer.protocol!;
    if (m.target === 'echo' && m.invocationId) {
      send(encodeHubMessage(protocol, { type: 3, invocationId: m.invocationId, resultKind: 'result', result: m.arguments }));
    } else if (m.target === 'fail' && m.invocationId) {
      send(encodeHubMessage(protocol, { type: 3, invocationId: m.invocationId, resultKind: 'error', error: 'Invocation failed, status code 500' }));
    } else if (m.target === 'broadcast') {
      // As the REST API would: JSON arguments, one SignalRMessage, encoded once per protocol.
      const message = SignalRMessage.invocation('news', m.arguments);
      for (const p of peers) if (p.protocol) p.ws.send(message.encoded(p.protocol)!, { binary: p.protocol === 'messagepack' });
    } else if (m.target === 'kickMe') {
      send(closeMessage(protocol, 'closed by test', true));
      peer.ws.close();
    }
  }
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/client/?hub=chat`;
  return {
    url,
    async stop() {
      for (const p of peers) p.ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function connect(url: string, protocol: HubProtocolName) {
  const builder = new HubConnectionBuilder()
    .withUrl(url, { transport: HttpTransportType.WebSockets })
    .configureLogging(LogLevel.None);
  return (protocol === 'messagepack' ? builder.withHubProtocol(new MessagePackHubProtocol()) : builder).build();
}

test('official clients (JSON and MessagePack) talk to the protocol layer end to end', async (t) => {
  const server = await harness();
  t.after(() => server.stop());
  const json = connect(server.url, 'json');
  const mp = connect(server.url, 'messagepack');
  await json.start();
  await mp.start();
  t.after(() => Promise.all([json.stop(), mp.stop()]));

  const args = ['héllo 🌍', 42, 1.5, null, { nested: [true, { deep: 'x' }] }];
  assert.deepStrictEqual(await json.invoke('echo', ...args), args);
  assert.deepStrictEqual(await mp.invoke('echo', ...args), args);
  await assert.rejects(json.invoke('fail'), /Invocation failed, status code 500/);
  await assert.rejects(mp.invoke('fail'), /Invocation failed, status code 500/);

  const got = (c: ReturnType<typeof connect>) => new Promise<unknown[]>((resolve) => c.on('news', (...a: unknown[]) => resolve(a)));
  const both = Promise.all([got(json), got(mp)]);
  await json.send('broadcast', 'to everyone', { n: 1 });
  assert.deepStrictEqual(await both, [
    ['to everyone', { n: 1 }],
    ['to everyone', { n: 1 }],
  ]);

  for (const c of [json, mp]) {
    const closed = new Promise<Error | undefined>((resolve) => c.onclose(resolve));
    await c.send('kickMe');
    const error = await closed;
    assert.match(String(error), /Server returned an error on close: closed by test/);
  }
});
