/** The unmodified @azure/web-pubsub-client 1.1.0 (reliable JSON protocol by default) against Lapis. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebPubSubClient, WebPubSubJsonProtocol } from '@azure/web-pubsub-client';
import type { OnGroupDataMessageArgs, OnServerDataMessageArgs } from '@azure/web-pubsub-client';
import { start, until, sleep } from '../dataplane/helpers.ts';
import type { Harness } from '../dataplane/helpers.ts';

function makeClient(h: Harness, hub: string, token: { userId?: string; roles?: string[]; groups?: string[] }, extra: object = {}) {
  const client = new WebPubSubClient(
    { getClientAccessUrl: async () => (await h.client(hub).getClientAccessToken(token)).url },
    // Short keep-alive timers: the SDK's keep-alive tasks sleep uninterruptibly (40 s by default)
    // and would hold the test process open after stop(). They also exercise ping → pong.
    { messageRetryOptions: { maxRetries: 0 }, keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 1500, ...extra },
  );
  const group: OnGroupDataMessageArgs['message'][] = [];
  const server: OnServerDataMessageArgs['message'][] = [];
  const connected: string[] = [];
  client.on('group-message', (e) => group.push(e.message));
  client.on('server-message', (e) => server.push(e.message));
  client.on('connected', (e) => connected.push(e.connectionId));
  return { client, group, server, connected };
}

test('clients from getClientAccessToken join, send to groups, get acks and Duplicate', async (t) => {
  const h = await start();
  const alice = makeClient(h, 'chat', { userId: 'alice', roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'] });
  const bob = makeClient(h, 'chat', { userId: 'bob', roles: ['webpubsub.sendToGroup.room'], groups: ['room'] });
  t.after(async () => { alice.client.stop(); bob.client.stop(); await h.close(); });
  await alice.client.start();
  await bob.client.start();
  await until(() => alice.connected.length === 1 && bob.connected.length === 1);

  const joined = await alice.client.joinGroup('room');
  assert.equal(typeof joined.ackId, 'number');

  await alice.client.sendToGroup('room', { hi: 'json' }, 'json');
  await alice.client.sendToGroup('room', 'text!', 'text', { noEcho: true });
  await bob.client.sendToGroup('room', new Uint8Array([9, 8, 7]).buffer, 'binary', { noEcho: true });
  await until(() => bob.group.length === 2 && alice.group.length === 2);
  assert.deepEqual(bob.group.map((m) => [m.group, m.fromUserId, m.dataType, m.data]), [
    ['room', 'alice', 'json', { hi: 'json' }],
    ['room', 'alice', 'text', 'text!'],
  ]);
  assert.deepEqual(alice.group[0]!.data, { hi: 'json' });
  assert.equal(alice.group[1]!.dataType, 'binary');
  assert.deepEqual([...new Uint8Array(alice.group[1]!.data as ArrayBuffer)], [9, 8, 7]);
  // Reliable protocol: sequence ids are present and start at 1.
  assert.deepEqual(bob.group.map((m) => m.sequenceId), [1, 2]);

  // A repeated ackId is answered with Duplicate, which the SDK reports as isDuplicated.
  const first = await alice.client.sendToGroup('room', 'once', 'text', { ackId: 1000 });
  assert.equal(first.isDuplicated, false);
  const again = await alice.client.sendToGroup('room', 'once', 'text', { ackId: 1000 });
  assert.equal(again.isDuplicated, true);

  // Bob may send to room only, and may not join anything.
  await assert.rejects(bob.client.joinGroup('other'), (e: any) => e.errorDetail?.name === 'Forbidden');
  await assert.rejects(bob.client.sendToGroup('other', 'x', 'text'), (e: any) => e.errorDetail?.name === 'Forbidden');

  // Server → client messages arrive as server-message.
  await h.client('chat').sendToUser('bob', 'from server', { contentType: 'text/plain' });
  await until(() => bob.server.length === 1);
  assert.equal(bob.server[0]!.data, 'from server');

  // No event handler is configured: events fail with InvocationFailed.
  await assert.rejects(alice.client.sendEvent('ev', { a: 1 }, 'json'), (e: any) => e.errorDetail?.name === 'InvocationFailed');
});

test('permissions granted and revoked at run time apply to SDK clients', async (t) => {
  const h = await start();
  const sc = h.client('hub');
  const c = makeClient(h, 'hub', { userId: 'u' });
  t.after(async () => { c.client.stop(); await h.close(); });
  await c.client.start();
  await until(() => c.connected.length === 1);
  const id = c.connected[0]!;
  await assert.rejects(c.client.joinGroup('g'), (e: any) => e.errorDetail?.name === 'Forbidden');
  await sc.grantPermission(id, 'joinLeaveGroup', { targetName: 'g' });
  await c.client.joinGroup('g');
  assert.equal(await sc.groupExists('g'), true);
  await sc.grantPermission(id, 'sendToGroup');
  await c.client.sendToGroup('g', 'hey', 'text');
  await until(() => c.group.length === 1);
  await sc.revokePermission(id, 'sendToGroup');
  await assert.rejects(c.client.sendToGroup('g', 'no', 'text'), (e: any) => e.errorDetail?.name === 'Forbidden');
});

test('a reliable client recovers a dropped transport without losing or repeating messages', async (t) => {
  const h = await start();
  const sc = h.client('hub');
  const c = makeClient(h, 'hub', { userId: 'u', groups: ['g'] });
  t.after(async () => { c.client.stop(); await h.close(); });
  let disconnects = 0;
  c.client.on('disconnected', () => disconnects++);
  await c.client.start();
  await until(() => c.connected.length === 1);
  const id = c.connected[0]!;
  await sc.group('g').sendToAll({ n: 1 });
  await until(() => c.group.length === 1);

  // Drop the transport abruptly from the server side (as a network failure would).
  const session = h.service.core.connection('hub', id)!.sink as any;
  session.transport.terminate();
  await sleep(50);
  // Sent while the client is away: buffered and replayed on recovery.
  await sc.group('g').sendToAll({ n: 2 });
  await sc.sendToConnection(id, { n: 3 });
  await until(() => c.group.length === 2 && c.server.length === 1, 8000);
  assert.deepEqual(c.group.map((m) => [m.sequenceId, (m.data as any).n]), [[1, 1], [2, 2]]);
  assert.equal(c.server[0]!.sequenceId, 3);
  // Same logical connection: no second `connected`, no `disconnected`, still in its groups.
  assert.deepEqual(c.connected, [id]);
  assert.equal(disconnects, 0);
  assert.equal(await sc.connectionExists(id), true);
  await sc.group('g').sendToAll({ n: 4 });
  await until(() => c.group.length === 3);
});

test('client stop ends the logical connection at once; plain JSON protocol works too', async (t) => {
  const h = await start();
  const sc = h.client('hub');
  const c = makeClient(h, 'hub', { userId: 'json-user', roles: ['webpubsub.joinLeaveGroup'] }, { protocol: WebPubSubJsonProtocol() });
  t.after(async () => { c.client.stop(); await h.close(); });
  await c.client.start();
  await until(() => c.connected.length === 1);
  await c.client.joinGroup('g');
  await sc.group('g').sendToAll('hello', { contentType: 'text/plain' });
  await until(() => c.group.length === 1);
  assert.equal(c.group[0]!.sequenceId, undefined);
  c.client.stop();
  await until(async () => !(await sc.userExists('json-user')));
});
