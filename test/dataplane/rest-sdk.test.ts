/** The unmodified @azure/web-pubsub 1.2.0 against the REST API. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { odata } from '@azure/web-pubsub';
import { start, rawClient, until } from './helpers.ts';
import type { Harness, RawClient } from './helpers.ts';

const JSON_PROTOCOL = 'json.webpubsub.azure.v1';

async function connect(h: Harness, hub: string, opts: { userId?: string; roles?: string[]; groups?: string[] } = {}) {
  const { url } = await h.client(hub).getClientAccessToken(opts);
  const c = await rawClient(url, JSON_PROTOCOL);
  const connected = await c.next((m) => m.event === 'connected');
  return Object.assign(c, { connectionId: connected.connectionId as string });
}

const messagesOf = (c: RawClient) => c.messages.filter((m: any) => m.type === 'message');

test('server SDK sends to all, group, user and connection with every content type', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const sc = h.client('Chat');
  const a = await connect(h, 'chat', { userId: 'alice', groups: ['g1'] });
  const b = await connect(h, 'CHAT', { userId: 'bob' });

  await sc.sendToAll('hello'); // plain string without contentType → application/json "hello"
  assert.deepEqual(await a.next((m) => m.type === 'message'), { type: 'message', from: 'server', dataType: 'json', data: 'hello' });
  assert.deepEqual(await b.next((m) => m.type === 'message'), { type: 'message', from: 'server', dataType: 'json', data: 'hello' });

  await sc.sendToAll('plain', { contentType: 'text/plain' });
  assert.deepEqual(await a.next((m) => m.type === 'message'), { type: 'message', from: 'server', dataType: 'text', data: 'plain' });

  await sc.sendToAll(new Uint8Array([1, 2, 3]).buffer);
  assert.deepEqual(await a.next((m) => m.type === 'message'), { type: 'message', from: 'server', dataType: 'binary', data: 'AQID' });

  await sc.group('g1').sendToAll({ to: 'group' });
  assert.deepEqual((await a.next((m) => m.type === 'message')).data, { to: 'group' });

  await sc.sendToUser('bob', { to: 'bob' });
  assert.deepEqual((await b.next((m) => m.data?.to === 'bob')).data, { to: 'bob' });

  await sc.sendToConnection(a.connectionId, { to: 'conn' });
  assert.deepEqual((await a.next((m) => m.data?.to === 'conn')).data, { to: 'conn' });

  // Fire-and-forget to targets that do not exist: still 202.
  await sc.sendToUser('nobody', 'x');
  await sc.sendToConnection('missing', 'x');
  await sc.group('empty').sendToAll('x');

  // b never got group / alice-only messages.
  await sc.sendToAll({ end: true });
  await b.next((m) => m.data?.end === true);
  assert.deepEqual(messagesOf(b).map((m: any) => m.data), ['hello', 'plain', 'AQID', { to: 'bob' }, { end: true }]);
});

test('excluded connections and OData filters', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const sc = h.client('hub');
  const a = await connect(h, 'hub', { userId: "vic's", groups: ['g1'] });
  const b = await connect(h, 'hub', { userId: 'bob', groups: ['g1', 'g2'] });

  await sc.sendToAll({ n: 1 }, { excludedConnections: [a.connectionId] });
  await sc.sendToAll({ n: 2 }, { filter: odata`userId eq ${"vic's"}` });
  await sc.sendToAll({ n: 3 }, { filter: "'g2' in groups and not (userId eq 'alice')" });
  await sc.group('g1').sendToAll({ n: 4 }, { filter: "startswith(userId, 'vi')" });
  await sc.sendToUser('bob', { n: 5 }, { filter: `connectionId ne '${b.connectionId}'` });
  await sc.sendToAll({ n: 6 });
  await a.next((m) => m.data?.n === 6);
  await b.next((m) => m.data?.n === 6);
  assert.deepEqual(messagesOf(a).map((m: any) => m.data.n), [2, 4, 6]);
  assert.deepEqual(messagesOf(b).map((m: any) => m.data.n), [1, 3, 6]);
});

test('existence checks, group membership and close operations', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const sc = h.client('hub');
  const a = await connect(h, 'hub', { userId: 'alice' });
  const b = await connect(h, 'hub', { userId: 'bob' });

  assert.equal(await sc.connectionExists(a.connectionId), true);
  assert.equal(await sc.connectionExists('nope'), false);
  assert.equal(await sc.userExists('alice'), true);
  assert.equal(await sc.userExists('carol'), false);
  assert.equal(await sc.groupExists('g1'), false);

  await sc.group('g1').addConnection(a.connectionId);
  await sc.group('g1').addUser('bob');
  assert.equal(await sc.groupExists('g1'), true);
  await assert.rejects(sc.group('g1').addConnection('missing'), (e: any) => e.statusCode === 404);
  await assert.rejects(sc.group('g1').addUser('carol'), (e: any) => e.statusCode === 404);
  // Group names are case-sensitive.
  assert.equal(await sc.groupExists('G1'), false);

  await sc.group('g1').removeConnection(a.connectionId);
  await sc.group('g1').removeUser('bob');
  assert.equal(await sc.groupExists('g1'), false);

  await sc.group('g2').addConnection(a.connectionId);
  await sc.removeConnectionFromAllGroups(a.connectionId);
  assert.equal(await sc.groupExists('g2'), false);
  await sc.group('g3').addUser('alice');
  await sc.removeUserFromAllGroups('alice');
  assert.equal(await sc.groupExists('g3'), false);

  // Close one connection with a reason: disconnected message, then close 1000.
  await sc.closeConnection(a.connectionId, { reason: 'bye now' });
  assert.deepEqual(await a.next((m) => m.event === 'disconnected'), { type: 'system', event: 'disconnected', message: 'bye now' });
  assert.deepEqual(await a.closed, { code: 1000, reason: 'bye now' });
  assert.equal(await sc.connectionExists(a.connectionId), false);
  await sc.closeConnection('missing'); // idempotent 204

  const c1 = await connect(h, 'hub', { userId: 'carol' });
  const c2 = await connect(h, 'hub', { userId: 'carol' });
  await sc.closeUserConnections('carol', { reason: 'user' });
  assert.equal((await c1.closed).code, 1000);
  assert.equal((await c2.closed).code, 1000);
  assert.equal(await sc.userExists('carol'), false);

  const d = await connect(h, 'hub', { groups: ['room'] });
  const e = await connect(h, 'hub', { groups: ['room'] });
  await sc.group('room').closeAllConnections({ reason: 'room closed', excluded: [e.connectionId] } as any);
  assert.equal((await d.closed).reason, 'room closed');
  assert.equal(await sc.connectionExists(e.connectionId), true);

  await sc.closeAllConnections({ reason: 'all' });
  assert.equal((await b.closed).reason, 'all');
  assert.equal((await e.closed).reason, 'all');
  await until(async () => !(await sc.userExists('bob')));
});

test('bulk addToGroups / removeFromGroups with filters', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const sc = h.client('hub');
  const a = await connect(h, 'hub', { userId: 'u1' });
  const b = await connect(h, 'hub', { userId: 'u2' });
  await sc.addConnectionsToGroups(['x', 'y'], "userId eq 'u1'");
  assert.equal(await sc.groupExists('x'), true);
  await sc.group('x').sendToAll({ n: 1 });
  await sc.sendToAll({ n: 2 });
  await b.next((m) => m.data?.n === 2);
  await a.next((m) => m.data?.n === 2);
  assert.deepEqual(messagesOf(a).map((m: any) => m.data.n), [1, 2]);
  assert.deepEqual(messagesOf(b).map((m: any) => m.data.n), [2]);
  await sc.removeConnectionsFromGroups(['x'], "userId eq 'u1'");
  assert.equal(await sc.groupExists('x'), false);
  assert.equal(await sc.groupExists('y'), true);
  await assert.rejects(sc.addConnectionsToGroups(['x'], 'userId eq'), (e: any) => e.statusCode === 400 && /position/.test(e.message));
});

test('permissions granted and revoked at run time take effect', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const sc = h.client('hub');
  const a = await connect(h, 'hub', { userId: 'alice' });
  const join = (ackId: number, group: string) => {
    a.send({ type: 'joinGroup', group, ackId });
    return a.next((m) => m.type === 'ack' && m.ackId === ackId);
  };
  assert.equal(await sc.hasPermission(a.connectionId, 'joinLeaveGroup', { targetName: 'g1' }), false);
  assert.equal((await join(1, 'g1')).error.name, 'Forbidden');

  await sc.grantPermission(a.connectionId, 'joinLeaveGroup', { targetName: 'g1' });
  assert.equal(await sc.hasPermission(a.connectionId, 'joinLeaveGroup', { targetName: 'g1' }), true);
  assert.equal(await sc.hasPermission(a.connectionId, 'joinLeaveGroup', { targetName: 'g2' }), false);
  assert.equal((await join(2, 'g1')).success, true);
  assert.equal((await join(3, 'g2')).error.name, 'Forbidden');

  await sc.grantPermission(a.connectionId, 'joinLeaveGroup');
  assert.equal((await join(4, 'g2')).success, true);
  await sc.revokePermission(a.connectionId, 'joinLeaveGroup', { targetName: 'g3' });
  assert.equal((await join(5, 'g3')).error.name, 'Forbidden');
  assert.equal((await join(6, 'g4')).success, true);
  await sc.revokePermission(a.connectionId, 'joinLeaveGroup');
  assert.equal((await join(7, 'g5')).error.name, 'Forbidden');

  await assert.rejects(sc.grantPermission('missing', 'sendToGroup'), (e: any) => e.statusCode === 404);
  await sc.revokePermission('missing', 'sendToGroup'); // 204 even when missing
  assert.equal(await sc.hasPermission('missing', 'sendToGroup'), false);
});

test('paged group listing returns every member exactly once', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const sc = h.client('hub');
  const clients = [];
  for (let i = 0; i < 7; i++) clients.push(await connect(h, 'hub', { userId: i % 2 ? `u${i}` : undefined, groups: ['big'] }));
  const expected = clients.map((c) => c.connectionId).sort();

  const seen: string[] = [];
  const pages: number[] = [];
  for await (const page of (await sc.group('big').listConnections({ maxPageSize: 3 })).byPage()) {
    pages.push(page.length);
    for (const m of page) seen.push(m.connectionId);
  }
  assert.deepEqual([...seen].sort(), expected);
  assert.deepEqual(pages, [3, 3, 1]);
  const members = [];
  for await (const m of await sc.group('big').listConnections({ maxPageSize: 2, top: 5 })) members.push(m);
  assert.equal(members.length, 5);
  assert.equal(new Set(members.map((m) => m.connectionId)).size, 5);
  // Order is the service's (Azure promises none): check each member carries its own user id.
  const userOf = new Map(clients.map((c, i) => [c.connectionId, i % 2 ? `u${i}` : undefined]));
  for (const m of members) assert.equal(m.userId ?? undefined, userOf.get(m.connectionId), `user of ${m.connectionId}`);
  const empty = [];
  for await (const m of await sc.group('none').listConnections()) empty.push(m);
  assert.deepEqual(empty, []);
});
