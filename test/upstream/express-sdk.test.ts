/**
 * End to end with the unmodified SDKs: @azure/web-pubsub-client connects to a Web PubSub resource
 * whose hub has an event handler served by @azure/web-pubsub-express (express 5). Every upstream
 * request carries a managed-identity bearer token, verified here with jose against Lapis's
 * discovery document and JWKS with the configured audience.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { ConnectRequest, UserEventRequest, ConnectedRequest, DisconnectedRequest } from '@azure/web-pubsub-express';
import type { OnGroupDataMessageArgs } from '@azure/web-pubsub-client';
import { PRIMARY, SECONDARY, startExpressApp, startHarness, startUpstreamResource, until, verifyUpstreamToken, within, UAMI_ID } from './support.ts';
import type { Harness } from './support.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

interface Seen { connect: ConnectRequest[]; connected: ConnectedRequest[]; user: UserEventRequest[]; states: unknown[]; disconnected: DisconnectedRequest[] }

async function scenario(resourceName: string, expectedIdentity: () => { principalId: string; clientId: string; resourceId: string }) {
  const seen: Seen = { connect: [], connected: [], user: [], states: [], disconnected: [] };
  const app = await startExpressApp('chat', {
    handleConnect: (req, res) => {
      seen.connect.push(req);
      res.success({ userId: 'from-upstream', groups: ['room-1'] });
    },
    onConnected: (req) => { seen.connected.push(req); },
    handleUserEvent: (req, res) => {
      seen.user.push(req);
      seen.states.push({ ...req.context.states });
      res.setState('count', (Number(req.context.states.count ?? 0) + 1));
      res.success(`echo:${String(req.data)}`, 'text');
    },
    onDisconnected: (req) => { seen.disconnected.push(req); },
  });
  const r = await startUpstreamResource(h, resourceName);
  r.handlers.chat = [{
    urlTemplate: `${app.url}/eventhandler/{event}`,
    userEventPattern: '*',
    systemEvents: ['connect', 'connected', 'disconnected'],
    auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } },
  }];
  const client = r.client('chat', { userId: 'token-user' });
  const groupMessages: OnGroupDataMessageArgs['message'][] = [];
  const serverMessages: unknown[] = [];
  client.on('group-message', (e) => { groupMessages.push(e.message); });
  client.on('server-message', (e) => { serverMessages.push(e.message.data); });
  const connected = new Promise<{ userId: string; connectionId: string }>((resolve) => client.on('connected', (e) => resolve({ userId: e.userId, connectionId: e.connectionId })));
  try {
    await within(client.start(), 10_000, 'client.start');
    const info = await within(connected);

    // connect: the handler's response set the user id and the groups.
    assert.equal(info.userId, 'from-upstream');
    assert.equal(seen.connect.length, 1);
    assert.equal(seen.connect[0]!.claims?.sub?.[0], 'token-user');
    assert.deepEqual(seen.connect[0]!.subprotocols, ['json.reliable.webpubsub.azure.v1']);
    assert.equal(seen.connect[0]!.context.hub, 'chat');
    await r.serviceClient('chat').group('room-1').sendToAll('to the room', { contentType: 'text/plain' });
    await until(() => groupMessages.length === 1, 5000, 'group message');
    assert.equal(groupMessages[0]!.data, 'to the room');

    // connected (non-blocking)
    await until(() => seen.connected.length === 1, 5000, 'connected event');
    assert.equal(seen.connected[0]!.context.connectionId, info.connectionId);
    assert.equal(seen.connected[0]!.context.userId, 'from-upstream');

    // A user event: its response reaches the sender; state set by the handler comes back next time.
    await within(client.sendEvent('echo', 'hello', 'text'));
    await until(() => serverMessages.length === 1, 5000, 'reply to the event');
    assert.equal(serverMessages[0], 'echo:hello');
    await within(client.sendEvent('echo', 'again', 'text'));
    await until(() => serverMessages.length === 2, 5000, 'second reply');
    assert.equal(seen.user[0]!.context.connectionId, info.connectionId);
    assert.equal(seen.user[0]!.context.eventName, 'echo');
    assert.equal(seen.user[0]!.dataType, 'text');
    assert.deepEqual(seen.states, [{}, { count: 1 }]);

    // disconnected
    client.stop();
    await until(() => seen.disconnected.length === 1, 5000, 'disconnected event');
    assert.equal(seen.disconnected[0]!.context.connectionId, info.connectionId);
    await until(() => r.upstream.trackedConnections === 0, 5000, 'per-connection state released');

    // Every request: validation first, then events, each with the CloudEvents headers and a token.
    const who = expectedIdentity();
    assert.equal(app.requests[0]!.method, 'OPTIONS');
    assert.equal(app.requests[0]!.path, '/eventhandler/validate');
    assert.equal(app.requests[0]!.headers['webhook-request-origin'], 'localhost');
    const posts = app.requests.filter((q) => q.method === 'POST');
    assert.deepEqual(posts.map((q) => q.path), ['/eventhandler/connect', '/eventhandler/connected', '/eventhandler/echo', '/eventhandler/echo', '/eventhandler/disconnected']);
    const tokens = new Set<string>();
    for (const q of app.requests) {
      const auth = String(q.headers.authorization ?? '');
      assert.match(auth, /^Bearer /, `${q.method} ${q.path} carries a bearer token`);
      const token = auth.slice(7);
      tokens.add(token);
      const claims = await verifyUpstreamToken(h.lapis.ready.authorityHost, token, 'api://upstream');
      assert.equal(claims.aud, 'api://upstream');
      assert.equal(claims.oid, who.principalId);
      assert.equal(claims.sub, who.principalId);
      assert.equal(claims.appid, who.clientId);
      assert.equal(claims.xms_mirid, who.resourceId);
      assert.equal(claims.idtyp, 'app');
    }
    assert.equal(tokens.size, 1, 'one cached token serves every event');
    assert.equal(r.upstream.tokens.minted, 1);
    for (const q of posts) {
      assert.equal(q.headers['ce-awpsversion'], '1.0');
      assert.equal(q.headers['ce-specversion'], '1.0');
      assert.equal(q.headers['webhook-request-origin'], 'localhost');
      assert.equal(q.headers['ce-hub'], 'chat');
    }
    const echo = posts[2]!;
    const id = info.connectionId;
    const sig = (k: string) => `sha256=${createHmac('sha256', k).update(id).digest('hex')}`;
    assert.equal(echo.headers['ce-signature'], `${sig(PRIMARY)},${sig(SECONDARY)}`);
    assert.equal(echo.headers['ce-type'], 'azure.webpubsub.user.echo');
    assert.equal(echo.headers['ce-eventname'], 'echo');
    assert.equal(echo.headers['ce-source'], `/hubs/chat/client/${id}`);
    assert.equal(echo.headers['ce-userid'], 'from-upstream');
    assert.equal(echo.headers['ce-subprotocol'], 'json.reliable.webpubsub.azure.v1');
    assert.match(String(echo.headers['content-type']), /^text\/plain/);
    assert.equal(posts[3]!.headers['ce-connectionstate'], Buffer.from(JSON.stringify({ count: 1 })).toString('base64'));
    assert.equal(posts[1]!.headers['ce-type'], 'azure.webpubsub.sys.connected');
    assert.equal(posts[4]!.headers['ce-type'], 'azure.webpubsub.sys.disconnected');
    assert.deepEqual(r.upstream.status('chat').map((s) => s.status), ['Validated']);
  } finally {
    client.stop();
    await r.close();
    await app.close();
  }
}

test('system-assigned identity: connect sets user and groups, connected, user event reply, disconnected; bearer verified with jose', async () => {
  const node = h.lapis.node;
  await scenario('chat', () => {
    const record = node.resources.get('chat')!;
    const mi = node.identity.directory.getManagedIdentityOf(record.id)!;
    assert.equal(mi.type, 'SystemAssigned');
    return { principalId: mi.principalId, clientId: mi.clientId, resourceId: record.id };
  });
});

test('user-assigned identity: the same flow with tokens issued to the user-assigned identity', async () => {
  const node = h.lapis.node;
  await scenario('chat-ua', () => {
    const mi = node.identity.directory.findManagedIdentity({ resourceId: UAMI_ID })!;
    assert.equal(mi.type, 'UserAssigned');
    return { principalId: mi.principalId, clientId: mi.clientId, resourceId: mi.resourceId };
  });
});

test('an application that takes v2 tokens gets aud = its appId, verified against the v2 discovery document', async () => {
  const r = await startUpstreamResource(h, 'chat');
  const app = await startExpressApp('v2hub', { handleConnect: (_req, res) => res.success() });
  try {
    r.handlers.v2hub = [{ urlTemplate: `${app.url}/eventhandler/{event}`, systemEvents: ['connect'], auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream-v2' } } }];
    const client = r.client('v2hub');
    await within(client.start());
    client.stop();
    const appId = h.lapis.node.identity.directory.findApplication('upstream-v2')!.appId;
    const token = String(app.requests.find((q) => q.method === 'POST')!.headers.authorization).slice(7);
    const claims = await verifyUpstreamToken(h.lapis.ready.authorityHost, token, appId);
    assert.equal(claims.ver, '2.0');
    assert.equal(claims.aud, appId);
  } finally {
    await r.close();
    await app.close();
  }
});

test('ManagedIdentity auth without an identity, or for an unregistered resource, fails with a clear status and no request', async () => {
  const plain = await startUpstreamResource(h, 'plain');
  const chat = await startUpstreamResource(h, 'chat');
  const app = await startExpressApp('chat', { handleConnect: (_req, res) => res.success() });
  try {
    plain.handlers.chat = [{ urlTemplate: `${app.url}/eventhandler/{event}`, systemEvents: ['connect'], auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } } }];
    await assert.rejects(within(plain.client('chat').start()));
    const [s] = plain.upstream.status('chat');
    assert.equal(s!.status, 'Failed');
    assert.match(s!.reason!, /no managed identity/);

    chat.handlers.chat = [{ urlTemplate: `${app.url}/eventhandler/{event}`, systemEvents: ['connect'], auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://nobody-registered-this' } } }];
    await assert.rejects(within(chat.client('chat').start()));
    const [s2] = chat.upstream.status('chat');
    assert.equal(s2!.status, 'Failed');
    assert.match(s2!.reason!, /neither the Application ID nor an Application ID URI/);
    assert.equal(app.requests.length, 0, 'nothing was sent to the handler');
  } finally {
    await plain.close();
    await chat.close();
    await app.close();
  }
});

test('connect refusals: the handler\'s 401 reaches the client; no connect handler subscribed accepts with token defaults', async () => {
  const r = await startUpstreamResource(h, 'chat');
  const app = await startExpressApp('chat', {
    handleConnect: (req, res) => {
      if (req.claims?.sub?.[0] === 'mallory') res.fail(401, 'no mallory here');
      else res.success();
    },
  });
  try {
    r.handlers.chat = [{ urlTemplate: `${app.url}/eventhandler/{event}`, systemEvents: ['connect'] }];
    const token = await r.serviceClient('chat').getClientAccessToken({ userId: 'mallory' });
    const ws = await import('ws');
    const status = await within(new Promise<{ code: number; body: string }>((resolve) => {
      const sock = new ws.WebSocket(token.url, 'json.webpubsub.azure.v1');
      sock.once('unexpected-response', (_q, res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      sock.once('open', () => { sock.close(); resolve({ code: 101, body: '' }); });
    }));
    assert.equal(status.code, 401);
    assert.match(status.body, /no mallory here/);
    const alice = r.client('chat', { userId: 'alice' });
    const ev = new Promise<string>((resolve) => alice.on('connected', (e) => resolve(e.userId)));
    await within(alice.start());
    assert.equal(await within(ev), 'alice', 'an empty success keeps the token\'s user');
    alice.stop();
    // A hub without handlers: connections are accepted, events fail as Azure fails them.
    const other = r.client('nohandlers', { userId: 'bob' });
    await within(other.start());
    await assert.rejects(other.sendEvent('x', 'y', 'text'), (e: any) => e.errorDetail?.name === 'InvocationFailed');
    other.stop();
  } finally {
    await r.close();
    await app.close();
  }
});
