import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { withSender } from '../../src/backplane/redis/index.ts';
import { redisUnavailable } from '../helpers/services.ts';
import { CHANNEL, TestCluster, text, until } from './cluster-helpers.ts';
import type { TestNode } from './cluster-helpers.ts';

const skip = await redisUnavailable();

/**
 * Kills this node's Redis connections (found by client name; `which` picks the subscriber or the
 * command connection). By name rather than `CLIENT KILL TYPE pubsub`, which would also cut the
 * subscribers of other test files running at the same time.
 */
async function killConnections(cluster: TestCluster, node: TestNode, which: 'sub' | 'cmd' | '' = ''): Promise<number> {
  const list = String(await cluster.admin.client('LIST'));
  const ids = list.split('\n').filter((l) => l.includes(`name=lapis:${node.backplane.nodeId}:${which}`)).map((l) => /id=(\d+)/.exec(l)?.[1]).filter((x) => x !== undefined);
  for (const id of ids) await cluster.admin.client('KILL', 'ID', id);
  return ids.length;
}

describe('Redis backplane: a node that dies', { skip }, () => {
  const cluster = new TestCluster();
  after(() => cluster.stop());

  test("a request resolves with the live answers once the dead node's heartbeat expires", async () => {
    const a = await cluster.start('a', { heartbeatMs: 250, nodeTtlMs: 1500, requestTimeoutMs: 30_000 });
    const b = await cluster.start('b', { heartbeatMs: 250, nodeTtlMs: 1500, requestTimeoutMs: 30_000 });
    const c = await cluster.start('c', { heartbeatMs: 250, nodeTtlMs: 1500, requestTimeoutMs: 30_000 });
    a.core.join(a.add('a1', 'h').c, 'g');
    c.core.join(c.add('c1', 'h').c, 'g');
    b.core.join(b.add('b1', 'h').c, 'g');
    await cluster.sync();
    // B vanishes as a crashed process would: no unregistering, its heartbeat key lives on until it expires.
    await b.backplane.close({ unregister: false });
    const timeoutsBefore = a.backplane.stats().requestTimeouts;
    const r = await a.core.request({ type: 'listGroup', hub: 'h', group: 'g' });
    assert.deepEqual(r.members?.map((m) => m.connectionId).sort(), ['a1', 'c1']);
    assert.deepEqual(r.unanswered, [b.backplane.nodeId], 'the result names the node that did not answer');
    assert.equal(a.backplane.stats().requestTimeouts, timeoutsBefore, 'settled by the node registry, not by the timeout');
    assert.equal((await a.core.request({ type: 'listGroup', hub: 'h', group: 'g' })).unanswered, undefined, 'later requests no longer wait for it');
    assert.equal((await a.core.request({ type: 'exists', hub: 'h', target: { scope: 'connection', connectionId: 'b1' } })).matched, 0);
    assert.equal((await a.core.request({ type: 'exists', hub: 'h', target: { scope: 'group', group: 'g' } })).matched, 1);
  });

  test('a node that is registered but silent makes a request end at its timeout', async () => {
    const cl = new TestCluster();
    try {
      const a = await cl.start('a', { requestTimeoutMs: 300, nodeTtlMs: 60_000 });
      const b = await cl.start('b', { requestTimeoutMs: 300, nodeTtlMs: 60_000 });
      a.add('a1', 'h', 'u');
      b.add('b1', 'h', 'u');
      await cl.sync();
      await b.backplane.close({ unregister: false });
      const r = await a.core.request({ type: 'close', hub: 'h', target: { scope: 'user', userId: 'u' }, reason: 'x' });
      assert.equal(r.matched, 1);
      assert.deepEqual(r.unanswered, [b.backplane.nodeId]);
      assert.equal(a.backplane.stats().requestTimeouts, 1);
      // A connection command to the silent node's connection ends at the timeout too.
      const p = await a.core.request({ type: 'hasPermission', hub: 'h', connectionId: 'b1', action: 'sendToGroup' });
      assert.deepEqual([p.matched, p.unanswered], [0, [b.backplane.nodeId]]);
    } finally {
      await cl.stop();
    }
  });
});

describe('Redis backplane: Redis connections killed', { skip }, () => {
  const cluster = new TestCluster();
  after(() => cluster.stop());

  test('the node keeps delivering locally, reconnects, re-registers and traffic flows again', async () => {
    const a = await cluster.start('a');
    const b = await cluster.start('b');
    const a1 = a.add('a1', 'h', 'alice').sink;
    const b1 = b.add('b1', 'h', 'bob').sink;
    await cluster.sync();
    const reconnectsBefore = b.backplane.stats().reconnects;
    assert.equal(await killConnections(cluster, b), 2);
    await until('B notices', () => !b.backplane.stats().connected);
    // While B is cut off (the first reconnect attempt waits ~100 ms): local delivery goes on,
    // shipments to other nodes are dropped and counted, requests answer with the local part.
    const dropped = b.backplane.stats().dropped;
    b.core.publish({ type: 'send', hub: 'h', target: { scope: 'hub' }, content: text('during') });
    assert.deepEqual(b1.texts(), ['during'], 'local delivery never stopped');
    assert.ok(b.backplane.stats().dropped > dropped, 'the shipment to A was dropped and counted');
    const b2 = b.add('b2', 'h', 'carol').sink; // registered locally; Redis learns it on reconnect
    const listed = await b.core.request({ type: 'listGroup', hub: 'h', group: 'none' });
    assert.deepEqual(listed.unanswered, [a.backplane.nodeId]);

    await until('B reconnected', () => b.backplane.stats().connected && b.backplane.stats().reconnects > reconnectsBefore);
    await cluster.sync();
    assert.equal((await a.core.request({ type: 'exists', hub: 'h', target: { scope: 'connection', connectionId: 'b2' } })).matched, 1, 're-registered connection');
    assert.equal((await a.core.request({ type: 'exists', hub: 'h', target: { scope: 'user', userId: 'carol' } })).matched, 1, 're-registered user');
    a.core.publish({ type: 'send', hub: 'h', target: { scope: 'connection', connectionId: 'b2' }, content: text('direct') });
    a.core.publish({ type: 'send', hub: 'h', target: { scope: 'hub' }, content: text('after') });
    await until('traffic flows to B again', () => b1.texts().includes('after') && b2.texts().includes('after'));
    assert.deepEqual(b2.texts(), ['direct', 'after']);
    b.core.publish({ type: 'send', hub: 'h', target: { scope: 'user', userId: 'alice' }, content: text('from-b') });
    await until('and from B', () => a1.texts().includes('from-b'));
    assert.deepEqual(a1.texts(), ['after', 'from-b'], "A never saw B's publication made while B was cut off");
  });

  test('a killed subscriber connection comes back subscribed', async () => {
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const sink = b.add('b9', 'h', 'dora').sink;
    const reconnects = b.backplane.stats().reconnects;
    assert.equal(await killConnections(cluster, b, 'sub'), 1);
    await until('B notices', () => !b.backplane.stats().connected);
    await until('B resubscribed', () => b.backplane.stats().connected);
    assert.equal(b.backplane.stats().reconnects, reconnects, 'the command connection stayed up');
    // The subscriptions are made again right after the connection is ready: retry until one lands.
    let n = 0;
    await until('fan-out and point-to-point reach B again', () => {
      a.core.publish({ type: 'send', hub: 'h', target: { scope: 'user', userId: 'dora' }, content: text(`u${n}`) });
      a.core.publish({ type: 'send', hub: 'h', target: { scope: 'connection', connectionId: 'b9' }, content: text(`c${n++}`) });
      return sink.texts().some((t) => t.startsWith('u')) && sink.texts().some((t) => t.startsWith('c'));
    });
    b.core.unregister(b.core.connection('h', 'b9')!);
  });

  test('Redis losing the registry (keys deleted) is repaired by the next heartbeats', async () => {
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    let cursor = '0';
    do {
      const [next, keys] = await cluster.admin.scan(cursor, 'MATCH', `${cluster.prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await cluster.admin.del(...keys);
    } while (cursor !== '0');
    await cluster.sync();
    assert.equal(new Set(await a.backplane.nodes()).size, 2);
    assert.equal((await a.core.request({ type: 'exists', hub: 'h', target: { scope: 'connection', connectionId: 'b1' } })).matched, 1);
    assert.equal((await b.core.request({ type: 'exists', hub: 'h', target: { scope: 'user', userId: 'alice' } })).matched, 1);
    assert.equal(a.backplane.connectionCount(CHANNEL), 3);
  });
});

describe('Redis backplane: what arrives from the network', { skip }, () => {
  const cluster = new TestCluster();
  after(() => cluster.stop());

  test('malformed and oversized messages are dropped and counted; the node carries on', async () => {
    const a = await cluster.start('a');
    const b = await cluster.start('b', { maxMessageBytes: 2048 });
    const sink = b.add('b1', 'h').sink;
    const inbox = `${cluster.prefix}to:${encodeURIComponent(b.backplane.nodeId)}`;
    const resource = `${cluster.prefix}ch:${encodeURIComponent(CHANNEL)}`;
    const publish = (channel: string, data: Buffer) => (b.backplane.pubsubMode === 'sharded' ? cluster.admin.spublish(channel, data) : cluster.admin.publish(channel, data));
    const before = b.backplane.stats().malformed;
    await publish(inbox, Buffer.from([0xc1, 0xff, 0x00]));
    await publish(inbox, Buffer.from(withSender('x', encode({ k: 'pub', from: 'x', ch: CHANNEL, cmd: { type: 'send', hub: 'h', target: { scope: 'hub' } } }))));
    await publish(resource, Buffer.from(withSender('x', encode({ k: 'rep', from: 'x', id: -1, res: [] }))));
    await publish(resource, Buffer.alloc(4096, 0x91));
    await until('four refused', () => b.backplane.stats().malformed === before + 4);
    a.core.publish({ type: 'send', hub: 'h', target: { scope: 'hub' }, content: text('still fine') });
    await until('delivery goes on', () => sink.texts().includes('still fine'));
    // Outbound over the limit: delivered locally, not shipped.
    const dropped = b.backplane.stats().dropped;
    const a1 = a.add('a1', 'h').sink;
    b.core.publish({ type: 'send', hub: 'h', target: { scope: 'hub' }, content: text('x'.repeat(4000)) });
    assert.equal(sink.received.length, 2);
    assert.equal(b.backplane.stats().dropped, dropped + 1);
    b.core.publish({ type: 'send', hub: 'h', target: { scope: 'hub' }, content: text('small') });
    await until('the next one crosses', () => a1.texts().includes('small'));
    assert.deepEqual(a1.texts(), ['small']);
  });
});
