// Hub event handlers and the resource identity set through the management API reach a real app
// server (unmodified @azure/web-pubsub-express): the bearer token on each event comes from the
// identity the resource has now — its system identity, then a user-assigned one — and with no
// identity a ManagedIdentity handler gets nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { startExpressApp, until, within, type ExpressApp } from '../upstream/support.ts';
import { Arm, RG, uamiId, verifyUpstreamToken, world } from './support.ts';

const T = '5c0a1d2e-0000-4000-8000-0000000000a2';
const S = '5c0a1d2e-0000-4000-8000-0000000000b2';
const UAMI1 = uamiId(S, 'uami-1');

let lapis: TestLapis;
let arm: Arm;
let app: ExpressApp;
const events: { event: string; userId?: string; auth?: string }[] = [];

before(async () => {
  app = await startExpressApp('chat', {
    handleConnect: (req, res) => {
      events.push({ event: 'connect', userId: req.context.userId });
      res.success({ userId: `api-${req.context.userId ?? 'anon'}` });
    },
    handleUserEvent: (req, res) => {
      events.push({ event: req.context.eventName, userId: req.context.userId });
      res.success(`echo: ${String(req.data)}`, 'text');
    },
    onConnected: (req) => { events.push({ event: 'connected', userId: req.context.userId }); },
  }, (req, _res, next) => {
    if (req.method === 'POST') events.push({ event: `auth:${String(req.headers['ce-eventname'])}`, auth: req.headers.authorization });
    next();
  });
  lapis = await startTestLapis({ config: world(T, S, [{ type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: RG }]) });
  arm = new Arm(lapis);
});

after(async () => {
  await lapis?.stop();
  await app?.close();
});

const connectionString = () => lapis.ready.resources.find((r) => r.name === 'chat')!.connectionString!;

/** A client connects as `user`, sends one event and gets the app's reply; returns the bearer tokens the app saw meanwhile. */
async function roundTrip(user: string): Promise<string[]> {
  const from = events.length;
  const service = new WebPubSubServiceClient(connectionString(), 'chat');
  const { url } = await service.getClientAccessToken({ userId: user });
  const client = new WebPubSubClient(url);
  const replies: unknown[] = [];
  client.on('server-message', (e) => { replies.push(e.message.data); });
  try {
    await within(client.start(), 10_000, `${user}: start`);
    await client.sendEvent('echo', 'hi', 'text', { fireAndForget: false });
    await until(() => replies.length > 0, 5000, `${user}: reply`);
    assert.deepEqual(replies, ['echo: hi']);
    await until(() => events.slice(from).some((e) => e.event === 'connected'), 5000, `${user}: connected`);
  } finally {
    client.stop();
  }
  const seen = events.slice(from);
  // connected is not blocking: it may arrive before or after the user event.
  const got = seen.filter((e) => !e.event.startsWith('auth:')).map((e) => `${e.event}:${e.userId}`).sort();
  assert.deepEqual(got, [`connect:${user}`, `connected:api-${user}`, `echo:api-${user}`]);
  return seen.filter((e) => e.event.startsWith('auth:')).map((e) => String(e.auth));
}

test('handlers set through the API reach express; tokens come from the identity the API gave the resource', async () => {
  const put = await arm.admin('PUT', arm.path('chat', '/hubs/chat'), {
    properties: {
      eventHandlers: [{
        urlTemplate: `${app.url}/eventhandler/{event}`, userEventPattern: '*', systemEvents: ['connect', 'connected'],
        auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } },
      }],
    },
  });
  assert.equal(put.status, 201, JSON.stringify(put.body));

  // System-assigned identity.
  assert.equal((await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'SystemAssigned' } })).status, 200);
  const sys = lapis.node.identity.directory.getManagedIdentityOf(arm.id('chat'))!;
  const sysTokens = new Set(await roundTrip('alice'));
  assert.equal(sysTokens.size, 1, 'one cached token for every event');
  const sysClaims = await verifyUpstreamToken(lapis.ready.authorityHost, T, [...sysTokens][0]!.replace(/^Bearer /, ''), 'api://upstream');
  assert.equal(sysClaims.oid, sys.principalId);
  assert.equal(sysClaims.appid, sys.clientId);
  assert.equal(String(sysClaims.xms_mirid).toLowerCase(), arm.id('chat').toLowerCase());

  // Switched to a user-assigned identity: the next events carry its token.
  assert.equal((await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'UserAssigned', userAssignedIdentities: { [UAMI1]: {} } } })).status, 200);
  const uami = lapis.node.identity.directory.findManagedIdentity({ resourceId: UAMI1 })!;
  const uaTokens = new Set(await roundTrip('bob'));
  assert.equal(uaTokens.size, 1);
  const uaClaims = await verifyUpstreamToken(lapis.ready.authorityHost, T, [...uaTokens][0]!.replace(/^Bearer /, ''), 'api://upstream');
  assert.equal(uaClaims.oid, uami.principalId);
  assert.equal(uaClaims.appid, uami.clientId);
  assert.notEqual(uaClaims.oid, sys.principalId);
  assert.equal(lapis.node.identity.directory.servicePrincipals().some((s) => s.id === sys.principalId), false, 'the old system identity is gone');

  // No identity: a ManagedIdentity handler cannot get a token, so the app sees no event and the connection is refused.
  assert.equal((await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'None' } })).status, 200);
  const from = events.length;
  const service = new WebPubSubServiceClient(connectionString(), 'chat');
  const { url } = await service.getClientAccessToken({ userId: 'carol' });
  const client = new WebPubSubClient(url, { autoReconnect: false } as never);
  await assert.rejects(within(client.start(), 10_000, 'carol: start'));
  client.stop();
  assert.deepEqual(events.slice(from).filter((e) => e.event === 'connect'), [], 'no connect event reached the app');
});

test('handlers changed through the API apply to the next event; deleting the hub settings stops delivery', async () => {
  await arm.admin('PATCH', arm.path('chat'), { identity: { type: 'SystemAssigned' } });
  // Replace with an auth-less handler for connect only.
  const put = await arm.admin('PUT', arm.path('chat', '/hubs/chat'), { properties: { eventHandlers: [{ urlTemplate: `${app.url}/eventhandler/{event}`, systemEvents: ['connect'] }] } });
  assert.equal(put.status, 200);
  let from = events.length;
  const service = new WebPubSubServiceClient(connectionString(), 'chat');
  const c1 = new WebPubSubClient((await service.getClientAccessToken({ userId: 'dave' })).url);
  await within(c1.start(), 10_000, 'dave: start');
  c1.stop();
  const seen = events.slice(from);
  assert.deepEqual(seen.filter((e) => !e.event.startsWith('auth:')).map((e) => e.event), ['connect']);
  assert.deepEqual(seen.filter((e) => e.event.startsWith('auth:')).map((e) => e.auth), [undefined], 'auth None: no bearer token');

  assert.equal((await arm.admin('DELETE', arm.path('chat', '/hubs/chat'))).status, 200);
  from = events.length;
  const c2 = new WebPubSubClient((await service.getClientAccessToken({ userId: 'erin' })).url);
  await within(c2.start(), 10_000, 'erin: start');
  c2.stop();
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(events.slice(from), [], 'no handler, no event');
});
