// Live trace and the upstream inspector on a SignalR (serverless) resource: an official
// @microsoft/signalr client's connection and invocation show in the stream; the upstream calls
// (connected, the invocation) are captured with their X-ASRS headers (signature described, never
// shown) and replay sends the invocation to the upstream again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { HubConnectionBuilder, HttpTransportType, LogLevel } from '@microsoft/signalr';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { call, miToken } from '../access/arm-harness.ts';
import { until } from '../upstream/support.ts';
import { RG, world } from '../control/support.ts';
import { openTrace } from './sse-client.ts';

const T = '5c0a1d2e-0000-4000-8000-0000000000aa';
const S = '5c0a1d2e-0000-4000-8000-0000000000ba';
const KEY = 'signalr-trace-primary-0123456789abcdefgh';

const paths: string[] = [];
let upstream: Server;
let lapis: TestLapis;

before(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => { paths.push(req.url ?? ''); res.writeHead(200).end(); });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  lapis = await startTestLapis({
    config: world(T, S, [{
      type: 'Microsoft.SignalRService/signalR', name: 'sr-trace', resourceGroup: RG,
      accessKeys: { primaryKey: KEY, secondaryKey: `${KEY}-2` },
      properties: { features: [{ flag: 'ServiceMode', value: 'Serverless' }], upstream: { templates: [{ urlTemplate: `${base}/up/{category}/{event}?code=sr-secret` }] } },
    }]),
  });
});

after(async () => {
  await lapis?.stop();
  upstream?.close();
});

test('a SignalR client shows in the live trace; its upstream calls are captured and replayable', async () => {
  const id = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/signalR/sr-trace`;
  const admin = await miToken(lapis);
  const stream = await openTrace(`${lapis.ready.managementEndpoint}${id}/providers/Microsoft.Lapis/liveTrace?api-version=2022-04-01`, admin);
  assert.equal(stream.status, 200);
  await until(() => stream.ready, 5000, 'ready');
  const endpoint = lapis.ready.resources.find((r) => r.name === 'sr-trace')!.endpoint!;
  const token = await new SignJWT({ nameid: 'carol' }).setProtectedHeader({ alg: 'HS256' }).setAudience(`${endpoint}/client/?hub=chat`).setExpirationTime('5m').sign(new TextEncoder().encode(KEY));
  const client = new HubConnectionBuilder().withUrl(`${endpoint}/client/?hub=chat`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => token }).configureLogging(LogLevel.None).build();
  await client.start();
  try {
    const connected = await stream.until((e) => e.event === 'connected' && e.userId === 'carol');
    assert.equal(connected.hub, 'chat');
    await client.send('hello', 'world');
    const sent = await stream.until((e) => e.event === 'messageIn' && e.connectionId === connected.connectionId);
    assert.match(sent.detail!, /invocation 'hello'/);
    const up = await stream.until((e) => e.event === 'upstreamCall' && /hello/.test(e.detail ?? ''));
    assert.equal(up.status, 200);
    const list = await call(lapis.ready.managementEndpoint, 'GET', `${id}/providers/Microsoft.Lapis/upstreamCalls?api-version=2022-04-01`, admin);
    assert.equal(list.status, 200);
    const hello = list.body.value.find((c: any) => c.event === 'hello');
    assert.ok(hello, JSON.stringify(list.body.value.map((c: any) => c.event)));
    assert.equal(hello.protocol, 'signalr');
    assert.equal(hello.eventType, 'user');
    assert.match(hello.signature, /X-ASRS-Signature: 2 × sha256 <redacted>/);
    assert.ok(!JSON.stringify(hello).includes('sr-secret'), 'query secret redacted');
    const before = paths.filter((p) => p.startsWith('/up/messages/hello')).length;
    const replay = await call(lapis.ready.managementEndpoint, 'POST', `${id}/providers/Microsoft.Lapis/upstreamCalls/${hello.id}/replay?api-version=2022-04-01`, admin);
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.equal(replay.body.replayOf, hello.id);
    assert.equal(paths.filter((p) => p.startsWith('/up/messages/hello')).length, before + 1, 'the upstream got the invocation again');
  } finally {
    await client.stop();
  }
  await stream.until((e) => e.event === 'disconnected' && e.userId === 'carol');
  stream.stop();
});
