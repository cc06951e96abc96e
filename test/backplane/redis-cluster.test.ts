import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionLimitError } from '../../src/messaging/index.ts';
import { redisUnavailable } from '../helpers/services.ts';
import { CHANNEL, TestCluster, text, until } from './cluster-helpers.ts';
import type { Recorder, TestNode } from './cluster-helpers.ts';

const skip = await redisUnavailable();

describe('Redis backplane: three nodes', { skip }, () => {
  const cluster = new TestCluster();
  let a: TestNode, b: TestNode, c: TestNode;
  const sinks: Record<string, Recorder> = {};

  before(async () => {
    a = await cluster.start('a');
    b = await cluster.start('b');
    c = await cluster.start('c');
    // a1 (alice) on A; b1 (alice), b2 (bob) on B; c1 (carol) on C. Hubs are case-insensitive.
    sinks.a1 = a.add('a1', 'chat', 'alice').sink;
    sinks.b1 = b.add('b1', 'Chat', 'alice').sink;
    sinks.b2 = b.add('b2', 'chat', 'bob').sink;
    sinks.c1 = c.add('c1', 'chat', 'carol').sink;
    sinks.other = c.add('o1', 'other', 'alice').sink;
    b.core.join(b.core.connection('chat', 'b2')!, 'room');
    c.core.join(c.core.connection('chat', 'c1')!, 'room');
    await cluster.sync();
  });
  after(() => cluster.stop());

  /** Publishes `marker` to the hub from A and waits until every chat connection has it: whatever A published before has arrived by then. */
  async function settle(marker: string): Promise<void> {
    a.core.publish({ type: 'send', hub: 'chat', target: { scope: 'hub' }, content: text(marker) });
    await until(`${marker} everywhere`, () => ['a1', 'b1', 'b2', 'c1'].every((k) => sinks[k]!.texts().includes(marker)));
  }

  function clear(): void {
    for (const s of Object.values(sinks)) s.received.length = 0;
  }

  test('every node is live and the pub/sub mode is sharded on Redis 7', async () => {
    const nodes = await a.backplane.nodes();
    assert.deepEqual(new Set(nodes), new Set([a.backplane.nodeId, b.backplane.nodeId, c.backplane.nodeId]));
    assert.match(a.backplane.nodeId, /^a~[0-9a-f]{8}$/);
    const info = await cluster.admin.info('server');
    if (Number(/redis_version:(\d+)/.exec(info)?.[1]) >= 7) assert.equal(a.backplane.pubsubMode, 'sharded');
  });

  test('sends to all, a user, a group and a connection from A reach B and C exactly once', async () => {
    clear();
    const receivedByA = a.backplane.stats().received;
    a.core.publish({ type: 'send', hub: 'CHAT', target: { scope: 'hub' }, content: text('all') });
    a.core.publish({ type: 'send', hub: 'chat', target: { scope: 'user', userId: 'alice' }, content: text('to-alice') });
    a.core.publish({ type: 'send', hub: 'chat', target: { scope: 'group', group: 'room' }, content: text('to-room') });
    a.core.publish({ type: 'send', hub: 'chat', target: { scope: 'connection', connectionId: 'c1' }, content: text('to-c1') });
    a.core.publish({ type: 'send', hub: 'chat', target: { scope: 'hub' }, content: text('not-b2'), excluded: ['b2'] });
    await settle('end');
    assert.deepEqual(sinks.a1!.texts(), ['all', 'to-alice', 'not-b2', 'end'], 'local delivery is immediate and once');
    assert.deepEqual(sinks.b1!.texts(), ['all', 'to-alice', 'not-b2', 'end']);
    assert.deepEqual(sinks.b2!.texts(), ['all', 'to-room', 'end']);
    assert.deepEqual(sinks.c1!.texts(), ['all', 'to-room', 'to-c1', 'not-b2', 'end']);
    assert.deepEqual(sinks.other!.texts(), [], 'another hub hears nothing');
    assert.equal(a.backplane.stats().received, receivedByA, "A's own publications, echoed by Redis, are dropped by their header");
  });

  test('a binary payload crosses nodes byte for byte', async () => {
    clear();
    const data = Buffer.from([0, 1, 2, 250, 255, 0]);
    a.core.publish({ type: 'send', hub: 'chat', target: { scope: 'connection', connectionId: 'b2' }, content: { kind: 'webpubsub', payload: { kind: 'binary', data }, from: 'server' } });
    await until('binary at b2', () => sinks.b2!.received.length === 1);
    const got = sinks.b2!.received[0]!.content;
    assert.equal(got.kind, 'webpubsub');
    if (got.kind === 'webpubsub') {
      assert.ok(Buffer.isBuffer(got.payload.data));
      assert.deepEqual(got.payload.data, data);
    }
  });

  test('point-to-point reaches only the owner of the connection', async () => {
    const before = { a: a.backplane.stats().received, b: b.backplane.stats().received, c: c.backplane.stats().received };
    const r = await a.core.request({ type: 'close', hub: 'chat', target: { scope: 'connection', connectionId: 'nobody' }, reason: 'x' });
    assert.equal(r.matched, 0, 'an unknown connection is nowhere; no node is asked');
    const hp = await a.core.request({ type: 'hasPermission', hub: 'chat', connectionId: 'c1', action: 'sendToGroup', group: 'g' });
    assert.deepEqual([hp.matched, hp.allowed], [1, false]);
    await a.core.request({ type: 'grant', hub: 'chat', connectionId: 'c1', action: 'sendToGroup', group: 'g' });
    assert.equal((await b.core.request({ type: 'hasPermission', hub: 'chat', connectionId: 'c1', action: 'sendToGroup', group: 'g' })).allowed, true);
    const after = { a: a.backplane.stats().received, b: b.backplane.stats().received, c: c.backplane.stats().received };
    assert.equal(after.c - before.c, 3, 'C got the three requests');
    assert.equal(after.a - before.a, 2, 'A got only the replies to its two requests');
    assert.equal(after.b - before.b, 1, 'B got only the reply to its request');
  });

  test('existence checks and group listings see every node', async () => {
    const exists = async (n: TestNode, target: Parameters<typeof n.core.request>[0] extends infer C ? C extends { type: 'exists'; target: infer T } ? T : never : never) =>
      (await n.core.request({ type: 'exists', hub: 'chat', target })).matched;
    assert.equal(await exists(a, { scope: 'connection', connectionId: 'c1' }), 1);
    assert.equal(await exists(a, { scope: 'connection', connectionId: 'zz' }), 0);
    assert.equal(await exists(a, { scope: 'user', userId: 'carol' }), 1, 'from the user registry');
    assert.equal(await exists(a, { scope: 'user', userId: 'dave' }), 0);
    assert.equal(await exists(a, { scope: 'group', group: 'room' }), 1, 'from the group registry');
    assert.equal(await exists(a, { scope: 'group', group: 'nothing' }), 0);
    assert.equal(await exists(c, { scope: 'user', userId: 'bob' }), 1);
    const list = await a.core.request({ type: 'listGroup', hub: 'chat', group: 'room' });
    assert.deepEqual(list.members?.map((m) => m.connectionId).sort(), ['b2', 'c1']);
    assert.equal(list.unanswered, undefined);
  });

  test('group changes through A on connections of B and C are visible to every node at once', async () => {
    await a.core.request({ type: 'addToGroups', hub: 'chat', target: { scope: 'connection', connectionId: 'b1' }, groups: ['vip'] });
    assert.equal((await c.core.request({ type: 'exists', hub: 'chat', target: { scope: 'group', group: 'vip' } })).matched, 1);
    await a.core.request({ type: 'removeFromGroups', hub: 'chat', target: { scope: 'user', userId: 'alice' }, groups: ['vip'] });
    assert.equal((await c.core.request({ type: 'exists', hub: 'chat', target: { scope: 'group', group: 'vip' } })).matched, 0);
    await a.core.request({ type: 'addToGroups', hub: 'chat', target: { scope: 'hub' }, groups: ['everyone'] });
    const all = await b.core.request({ type: 'listGroup', hub: 'chat', group: 'everyone' });
    assert.deepEqual(all.members?.map((m) => m.connectionId).sort(), ['a1', 'b1', 'b2', 'c1']);
    await b.core.request({ type: 'removeFromAllGroups', hub: 'chat', target: { scope: 'hub' } });
    assert.equal((await a.core.request({ type: 'exists', hub: 'chat', target: { scope: 'group', group: 'everyone' } })).matched, 0);
    assert.equal((await a.core.request({ type: 'exists', hub: 'chat', target: { scope: 'group', group: 'room' } })).matched, 0);
    b.core.join(b.core.connection('chat', 'b2')!, 'room');
    c.core.join(c.core.connection('chat', 'c1')!, 'room');
  });

  test('sticky user memberships reach every node; a closed connection leaves the registries', async () => {
    await a.core.request({ type: 'addUserToGroup', hub: 'chat', userId: 'alice', group: 'fans' });
    assert.ok((await c.core.request({ type: 'userInGroup', hub: 'chat', userId: 'alice', group: 'fans' })).matched > 0);
    const late = c.add('c2', 'chat', 'alice');
    assert.ok(late.c.groups.has('fans'), 'a later connection of the user joins on its own node');
    const members = await b.core.request({ type: 'listGroup', hub: 'chat', group: 'fans' });
    assert.deepEqual(members.members?.map((m) => m.connectionId).sort(), ['a1', 'b1', 'c2']);
    c.core.unregister(late.c);
    await a.core.request({ type: 'removeUserFromGroup', hub: 'chat', userId: 'alice' });
    assert.equal((await b.core.request({ type: 'exists', hub: 'chat', target: { scope: 'group', group: 'fans' } })).matched, 0);
    assert.equal((await a.core.request({ type: 'exists', hub: 'chat', target: { scope: 'connection', connectionId: 'c2' } })).matched, 0);
  });

  test('close by user from A closes the connections on every node', async () => {
    const x = b.add('bx', 'chat', 'xavier');
    const y = c.add('cy', 'chat', 'xavier');
    await cluster.sync();
    const r = await a.core.request({ type: 'close', hub: 'chat', target: { scope: 'user', userId: 'xavier' }, reason: 'bye' });
    assert.equal(r.matched, 2);
    assert.deepEqual([x.sink.closes, y.sink.closes], [[{ kind: 'service', reason: 'bye' }], [{ kind: 'service', reason: 'bye' }]]);
    b.core.unregister(x.c);
    c.core.unregister(y.c);
  });
});

describe('Redis backplane: cluster-wide connection limit', { skip }, () => {
  const cluster = new TestCluster();
  after(() => cluster.stop());

  test('the (N+1)th connection is refused on any node once N are open across nodes', async () => {
    const a = await cluster.start('a', { maxConnections: 3 });
    const b = await cluster.start('b', { maxConnections: 3 });
    a.add('a1', 'h');
    a.add('a2', 'h');
    b.add('b1', 'h');
    await cluster.sync();
    assert.equal(a.backplane.connectionCount(CHANNEL), 3);
    assert.equal(b.backplane.connectionCount(CHANNEL), 3);
    assert.equal(a.core.hasCapacity(), false);
    assert.equal(b.core.hasCapacity(), false);
    assert.throws(() => b.add('b2', 'h'), ConnectionLimitError);
    a.core.unregister(a.core.connection('h', 'a1')!);
    await cluster.sync();
    assert.equal(b.core.hasCapacity(), true, 'a closed connection frees room on the other node');
    b.add('b2', 'h');
  });

  test("a dead node's connections stop counting when its heartbeat expires", async () => {
    const cl = new TestCluster();
    try {
      const a = await cl.start('a', { maxConnections: 2, heartbeatMs: 250, nodeTtlMs: 1500 });
      const b = await cl.start('b', { maxConnections: 2, heartbeatMs: 250, nodeTtlMs: 1500 });
      b.add('b1', 'h');
      b.add('b2', 'h');
      await cl.sync();
      assert.equal(a.core.hasCapacity(), false);
      await b.backplane.close({ unregister: false });
      await until('the dead node no longer counts', async () => { await a.backplane.sync(); return a.core.hasCapacity(); });
      assert.deepEqual(await a.backplane.nodes(), [a.backplane.nodeId]);
    } finally {
      await cl.stop();
    }
  });
});

describe('Redis backplane: plain pub/sub', { skip }, () => {
  const cluster = new TestCluster();
  after(() => cluster.stop());

  test('PUBLISH/SUBSCRIBE carries the same traffic', async () => {
    const a = await cluster.start('a', { pubsub: 'plain' });
    const b = await cluster.start('b', { pubsub: 'plain' });
    assert.equal(a.backplane.pubsubMode, 'plain');
    const s = b.add('b1', 'h', 'u').sink;
    await cluster.sync(); // B's registration has reached Redis (in a real cluster a send can race a connection that opens at that instant)
    a.core.publish({ type: 'send', hub: 'h', target: { scope: 'user', userId: 'u' }, content: text('hi') });
    a.core.publish({ type: 'send', hub: 'h', target: { scope: 'connection', connectionId: 'b1' }, content: text('direct') });
    await until('both', () => s.received.length === 2);
    assert.deepEqual(s.texts(), ['hi', 'direct']);
    assert.equal((await a.core.request({ type: 'exists', hub: 'h', target: { scope: 'connection', connectionId: 'b1' } })).matched, 1);
  });
});

describe('Redis backplane: a resource closed on one node', { skip }, () => {
  const cluster = new TestCluster();
  after(() => cluster.stop());

  test('its connections, users, groups and count leave the registries', async () => {
    const a = await cluster.start('a');
    const b = await cluster.start('b');
    b.core.join(b.add('b1', 'h', 'u').c, 'g');
    await cluster.sync();
    assert.equal(a.backplane.connectionCount(CHANNEL), 1);
    b.core.close(); // the resource stops on B while its connection object still exists
    await cluster.sync();
    assert.equal(a.backplane.connectionCount(CHANNEL), 0);
    for (const target of [{ scope: 'connection', connectionId: 'b1' }, { scope: 'user', userId: 'u' }, { scope: 'group', group: 'g' }] as const) {
      assert.equal((await a.core.request({ type: 'exists', hub: 'h', target })).matched, 0, target.scope);
    }
  });

  test('a node closed gracefully leaves nothing of its own in Redis', async () => {
    const c = await cluster.start('c');
    for (let i = 0; i < 50; i++) c.core.join(c.add(`c${i}`, 'h', `user${i % 5}`).c, `group${i % 3}`);
    await cluster.sync();
    const keys = async () => {
      const all: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await cluster.admin.scan(cursor, 'MATCH', `${cluster.prefix}*`, 'COUNT', 1000);
        cursor = next;
        all.push(...found);
      } while (cursor !== '0');
      return all;
    };
    const owned = async () => {
      let n = 0;
      for (const k of await keys()) {
        const type = await cluster.admin.type(k);
        if (type === 'string' && (await cluster.admin.get(k)) === c.backplane.nodeId) n++;
        if (type === 'string' && k.endsWith(c.backplane.nodeId)) n++;
        if (type === 'hash' && (await cluster.admin.hexists(k, c.backplane.nodeId))) n++;
        if (type === 'set' && (await cluster.admin.sismember(k, c.backplane.nodeId))) n++;
      }
      return n;
    };
    assert.ok((await owned()) > 50);
    c.core.close();
    await c.backplane.close();
    assert.equal(await owned(), 0);
  });
});
