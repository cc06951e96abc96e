// The server composition wires each SignalR resource's upstream templates (from the config, then
// changed through ARM) to its data plane: a serverless client's connect, messages and disconnect
// reach the template's URL, signed with the resource's key; a PATCH of the templates applies to
// the next event. The request shape itself is tested in test/upstream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { HubConnectionBuilder, HttpTransportType, LogLevel } from '@microsoft/signalr';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { Arm, RG, world } from './support.ts';

const T = '5c0a1d2e-0000-4000-8000-0000000000a8';
const S = '5c0a1d2e-0000-4000-8000-0000000000b8';
const KEY = 'signalr-upstream-primary-0123456789abcd';

interface Seen { path: string; headers: IncomingHttpHeaders }
const seen: Seen[] = [];
const waiters: Array<() => void> = [];
let upstream: Server;
let base = '';
let lapis: TestLapis;

before(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      for (const w of waiters.splice(0)) w();
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  lapis = await startTestLapis({
    config: world(T, S, [{
      type: 'Microsoft.SignalRService/signalR', name: 'sr-up', resourceGroup: RG,
      accessKeys: { primaryKey: KEY, secondaryKey: 'signalr-upstream-secondary-0123456789ab' },
      properties: {
        features: [{ flag: 'ServiceMode', value: 'Serverless' }],
        upstream: { templates: [{ urlTemplate: `${base}/first/{category}/{event}` }] },
      },
    }]),
  });
});

after(async () => {
  await lapis?.stop();
  upstream?.close();
});

/** The first request to the upstream matching `pred`, waiting up to 5 s. */
async function request(pred: (s: Seen) => boolean): Promise<Seen> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const hit = seen.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no such upstream request; saw ${JSON.stringify(seen.map((s) => s.path))}`);
    await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 200); });
  }
}

test('connect, messages and disconnect of a serverless client reach the template; a PATCH applies to the next event', async () => {
  const endpoint = lapis.ready.resources.find((r) => r.name === 'sr-up')!.endpoint!;
  const token = await new SignJWT({ nameid: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setAudience(`${endpoint}/client/?hub=chat`).setExpirationTime('5m').sign(new TextEncoder().encode(KEY));
  const client = new HubConnectionBuilder().withUrl(`${endpoint}/client/?hub=chat`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => token }).configureLogging(LogLevel.None).build();
  await client.start();
  try {
    const connected = await request((s) => s.path === '/first/connections/connected');
    assert.equal(connected.headers['x-asrs-hub'], 'chat');
    assert.equal(connected.headers['x-asrs-connection-id'], client.connectionId);
    assert.equal(connected.headers['x-asrs-user-id'], 'alice');
    assert.match(String(connected.headers['x-asrs-signature']), /^sha256=/);

    await client.send('hello', 'world');
    await request((s) => s.path === '/first/messages/hello');

    const arm = new Arm(lapis);
    const path = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/signalR/sr-up?api-version=2024-03-01`;
    const patched = await arm.admin('PATCH', path, { properties: { upstream: { templates: [{ urlTemplate: `${base}/second?event={event}` }] } } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await client.send('again');
    await request((s) => s.path === '/second?event=again');
  } finally {
    await client.stop();
  }
  await request((s) => s.path === '/second?event=disconnected');
});
