/**
 * Client results through a Default-mode resource, with a raw app server: the service answers for a
 * connection it does not hold, holds a completion until 50 ms after its invocation and sends a result
 * completion again shortly after (the SDK registers its pending invocation only after writing it, and
 * drops, or reads as null, a completion that comes sooner).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { HttpTransportType, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import { startTestLapis, type TestLapis } from '../../helpers/lapis.ts';
import { handshaken } from './raw-app-peer.ts';

const KEY = 'client-results-primary-key-0123456789abcd';
let lapis: TestLapis;
let endpoint = '';

before(async () => {
  lapis = await startTestLapis({
    config: { resources: [{ type: 'Microsoft.SignalRService/signalR', name: 'dmresults', resourceGroup: 'rg-results', accessKeys: { primaryKey: KEY, secondaryKey: 'client-results-secondary-key-0123456789ab' } }] },
  });
  endpoint = /Endpoint=([^;]+)/.exec(lapis.ready.resources.find((r) => r.name === 'dmresults')!.connectionString!)![1]!;
});
after(async () => { await lapis?.stop(); });

const aud = (path: string) => { const u = new URL(endpoint); return `${u.protocol}//${u.hostname}${path}`; };
const sign = (path: string, claims: Record<string, unknown> = {}) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' })
  .setAudience(aud(path)).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(KEY));

test('an invocation for a connection this resource does not hold is answered with ErrorCompletion at once', async () => {
  const app = await handshaken(endpoint, 'results', await sign('/server/?hub=results'));
  try {
    app.send({ kind: 'ClientInvocation', invocationId: 'nobody-1', connectionId: 'nobody', callerServerId: 'raw_server_1', payloads: new Map([['json', Buffer.from('{"type":1,"invocationId":"nobody-1","target":"ask","arguments":[]}\u001e')]]), ext: {} });
    const answer = await app.next('ErrorCompletion');
    assert.equal(answer.invocationId, 'nobody-1');
    assert.equal(answer.connectionId, 'nobody');
    assert.match(answer.error, /does not exist/);
  } finally {
    app.ws.terminate();
  }
});

test('a client\'s result goes to the app as ClientCompletion, and again shortly after; the client\'s other traffic is relayed', { timeout: 20_000 }, async () => {
  const app = await handshaken(endpoint, 'results', await sign('/server/?hub=results'));
  const c = new HubConnectionBuilder()
    .withUrl(`${endpoint}/client/?hub=results`, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => sign('/client/?hub=results') })
    .configureLogging(LogLevel.None).build();
  try {
    c.on('ask', (q: string) => `answer to ${q}`);
    const started = c.start();
    const open = await app.next('OpenConnection');
    await app.next('ConnectionData'); // the client's hub handshake
    app.send({ kind: 'ConnectionData', connectionId: open.connectionId, payload: Buffer.from('{}\u001e'), ext: { dataMessageType: 1 } });
    await started;
    const sentAt = performance.now();
    app.send({ kind: 'ClientInvocation', invocationId: 'inv-1', connectionId: open.connectionId, callerServerId: 'raw_server_1', payloads: new Map([['json', Buffer.from('{"type":1,"invocationId":"inv-1","target":"ask","arguments":["q1"]}\u001e')]]), ext: {} });
    const first = await app.next('ClientCompletion');
    // Held until 50 ms after the invocation (the SDK registers it only after writing it).
    assert.ok(performance.now() - sentAt >= 40, `the completion came ${performance.now() - sentAt} ms after the invocation`);
    assert.equal(first.invocationId, 'inv-1');
    assert.equal(first.callerServerId, 'raw_server_1');
    assert.deepEqual(JSON.parse(Buffer.from(first.payload).toString().replace('\u001e', '')), { type: 3, invocationId: 'inv-1', result: 'answer to q1' });
    const copy = await app.next('ClientCompletion', 3000);
    assert.deepEqual(Buffer.from(copy.payload), Buffer.from(first.payload), 'the same completion, sent again');
    void c.send('Later', 1);
    let relayed = '';
    while (!relayed.includes('"target":"Later"')) relayed = Buffer.from((await app.next('ConnectionData')).payload).toString();
    assert.ok(!relayed.includes('"type":3'), 'the completion was not relayed as client data');
  } finally {
    await c.stop().catch(() => {});
    app.ws.terminate();
  }
});
