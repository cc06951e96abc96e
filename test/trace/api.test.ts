// Live trace and the upstream inspector through the API the portal uses: a stream authorised by
// RBAC shows what official SDKs do (a client's connection and group message, a REST send, a refused
// handshake), the inspector keeps an event handler's call (decoded token, no secrets), and replay
// sends the event to the handler again (seen by @azure/web-pubsub-express).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { ClientSecretCredential } from '@azure/identity';
import { WebSocket } from 'ws';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { startExpressApp, until, within, type ExpressApp } from '../upstream/support.ts';
import { appToken, call, miToken } from '../access/arm-harness.ts';
import { DATA_OWNER, READER, RG, world } from '../control/support.ts';
import { openTrace } from './sse-client.ts';

const T = '5c0a1d2e-0000-4000-8000-0000000000a9';
const S = '5c0a1d2e-0000-4000-8000-0000000000b9';
const V = 'api-version=2022-04-01';
const PRIMARY = 'trace-primary-key-0123456789abcdefghij';

let lapis: TestLapis;
let app: ExpressApp;
const received: { event: string; data: string }[] = [];

before(async () => {
  app = await startExpressApp('chat', {
    handleUserEvent: (req, res) => {
      received.push({ event: req.context.eventName, data: String(req.data) });
      res.success(`echo: ${String(req.data)}`, 'text');
    },
  });
  lapis = await startTestLapis({
    config: world(T, S, [{
      type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: RG, identity: { type: 'SystemAssigned' },
      accessKeys: { primaryKey: PRIMARY, secondaryKey: `${PRIMARY}-2` },
      hubs: [{ name: 'chat', properties: { eventHandlers: [{
        urlTemplate: `${app.url}/eventhandler?code=handler-secret-code`, userEventPattern: 'echo',
        auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } },
      }] } }],
    }]),
  });
});

after(async () => {
  await lapis?.stop();
  await app?.close();
});

const resourceId = () => `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.SignalRService/webPubSub/chat`;
const tracePath = (rest: string, query = '') => `${resourceId()}/providers/Microsoft.Lapis/${rest}?${V}${query}`;
const connectionString = () => lapis.ready.resources.find((r) => r.name === 'chat')!.connectionString!;
const tokenOf = (a: { appId: string; secret: string }) => appToken(new ClientSecretCredential(T, a.appId, a.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true }));

test('the live trace shows a client connection, its group message, a REST send and a refused handshake', async () => {
  const stream = await openTrace(`${lapis.ready.managementEndpoint}${tracePath('liveTrace')}`, await tokenOf(DATA_OWNER));
  assert.equal(stream.status, 200);
  await until(() => stream.ready, 5000, 'ready');
  const service = new WebPubSubServiceClient(connectionString(), 'chat');
  const { url } = await service.getClientAccessToken({ userId: 'alice', roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'] });
  const client = new WebPubSubClient(url);
  try {
    await within(client.start(), 10_000, 'start');
    await client.joinGroup('room');
    await client.sendToGroup('room', 'hello from the trace test', 'text');
    const connected = await stream.until((e) => e.event === 'connected' && e.userId === 'alice', 10_000, 'connected');
    assert.equal(connected.hub, 'chat');
    assert.equal(connected.detail, 'json.reliable.webpubsub.azure.v1');
    await stream.until((e) => e.event === 'groupJoined' && e.group === 'room' && e.connectionId === connected.connectionId);
    const sent = await stream.until((e) => e.event === 'messageIn' && e.group === 'room', 10_000, 'messageIn');
    assert.match(sent.detail!, /hello from the trace test/);
    assert.equal(sent.connectionId, connected.connectionId);
    const out = await stream.until((e) => e.event === 'messageOut' && e.group === 'room');
    assert.equal(out.recipients, 1);
    await service.sendToAll('from the server', { contentType: 'text/plain' });
    const rest = await stream.until((e) => e.event === 'restCall' && e.status === 202, 10_000, 'restCall');
    assert.equal(rest.hub, 'chat');
    assert.match(rest.detail!, /^POST \/api\/hubs\/chat\/:send/);
    const refused = new WebSocket(`${lapis.ready.resources[0]!.endpoint!.replace('https', 'wss')}/client/hubs/chat?access_token=not-a-token`);
    await new Promise<void>((resolve) => { refused.on('unexpected-response', () => resolve()); refused.on('error', () => resolve()); });
    refused.terminate();
    const rejected = await stream.until((e) => e.event === 'handshakeRejected', 10_000, 'handshakeRejected');
    assert.equal(rejected.status, 401);
  } finally {
    client.stop();
  }
  const closed = await stream.until((e) => e.event === 'disconnected' && e.userId === 'alice', 10_000, 'disconnected');
  assert.ok(closed.reason, 'a close reason');
  const text = JSON.stringify(stream.events);
  assert.ok(!text.includes(PRIMARY) && !text.includes('access_token='), 'no secrets in the trace');
  stream.stop();
});

test('RBAC: a Reader (no liveTrace/read, no listKeys) gets 403; no token gets 401; an unknown resource 404', async () => {
  const reader = await tokenOf(READER);
  for (const p of [tracePath('liveTrace'), tracePath('upstreamCalls')]) {
    const r = await call(lapis.ready.managementEndpoint, 'GET', p, reader);
    assert.equal(r.status, 403, p);
    assert.equal(r.body.error.code, 'AuthorizationFailed');
    assert.match(r.body.error.message, /Microsoft\.SignalRService\/WebPubSub\/livetrace\/read/);
  }
  assert.equal((await call(lapis.ready.managementEndpoint, 'GET', tracePath('liveTrace'), undefined)).status, 401);
  const admin = await miToken(lapis);
  const missing = await call(lapis.ready.managementEndpoint, 'GET', tracePath('upstreamCalls').replace('/webPubSub/chat/', '/webPubSub/nope/'), admin);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'ResourceNotFound');
});

test('the inspector keeps the handler call (decoded token, nothing secret) and replay sends it again', async () => {
  const service = new WebPubSubServiceClient(connectionString(), 'chat');
  const { url } = await service.getClientAccessToken({ userId: 'bob' });
  const client = new WebPubSubClient(url);
  try {
    await within(client.start(), 10_000, 'start');
    await client.sendEvent('echo', 'replay me', 'text', { fireAndForget: false });
  } finally {
    client.stop();
  }
  await until(() => received.some((r) => r.data === 'replay me'), 5000, 'event at the handler');
  const owner = await tokenOf(DATA_OWNER);
  const list = await call(lapis.ready.managementEndpoint, 'GET', tracePath('upstreamCalls'), owner);
  assert.equal(list.status, 200);
  const captured = list.body.value.find((c: any) => c.event === 'echo' && c.userId === 'bob');
  assert.ok(captured, JSON.stringify(list.body));
  assert.equal(captured.outcome, 200);
  assert.equal(captured.request.body.text, 'replay me');
  assert.equal(captured.attempts[0].body.text, 'echo: replay me');
  assert.equal(captured.token.claims.aud, 'api://upstream');
  assert.match(captured.signature, /ce-signature: 2 × sha256 <redacted>/);
  assert.equal(captured.preflight.status, 'Validated');
  assert.equal(captured.replayable, true);
  const text = JSON.stringify(captured);
  assert.ok(!text.includes('handler-secret-code'), 'query secret redacted');
  assert.ok(!/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(text), 'no raw JWT');

  // Replay needs the resource's write action: the data-plane owner has none.
  const denied = await call(lapis.ready.managementEndpoint, 'POST', tracePath(`upstreamCalls/${captured.id}/replay`), owner);
  assert.equal(denied.status, 403);
  assert.match(denied.body.error.message, /Microsoft\.SignalRService\/WebPubSub\/write/);
  const before = received.filter((r) => r.data === 'replay me').length;
  const replay = await call(lapis.ready.managementEndpoint, 'POST', tracePath(`upstreamCalls/${captured.id}/replay`), await miToken(lapis));
  assert.equal(replay.status, 200, JSON.stringify(replay.body));
  assert.equal(replay.body.replayOf, captured.id);
  assert.equal(replay.body.outcome, 200);
  assert.equal(received.filter((r) => r.data === 'replay me').length, before + 1, 'the handler got the event again');
  const unknown = await call(lapis.ready.managementEndpoint, 'POST', tracePath('upstreamCalls/nope/replay'), await miToken(lapis));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'UpstreamCallNotFound');
});

test('docs/live-trace.md lists every error code of the trace API', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { TRACE_ERRORS } = await import('../../src/control/arm/trace.ts');
  const page = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'live-trace.md'), 'utf8');
  const codes = Object.values(TRACE_ERRORS).map((make) => (make as (x: string) => { code: string })('x').code);
  assert.equal(codes.length, 5);
  assert.deepEqual(codes.filter((c) => !page.includes(`\`${c}\``)), []);
});
