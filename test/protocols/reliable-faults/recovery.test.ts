/**
 * Reliable subprotocols under network faults (issue 15): per-connection ordering across every
 * source of messages, and recovery after a cut — mid-frame, abrupt, or a link that silently
 * carries nothing — with every unacknowledged message replayed once, in order, groups kept, no
 * second `connected`, and `disconnected` only at the final close. Runs once per codec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReliableTestClient } from '../../helpers/reliable-client.ts';
import type { FaultConnection } from '../../helpers/fault-proxy.ts';
import { until } from '../../dataplane/helpers.ts';
import { codecs, range, world } from './support.ts';
import type { World } from './support.ts';

/** A ping round trip: every frame the client sent before it has been handled by the service. */
async function roundTrip(c: ReliableTestClient): Promise<void> {
  const pongs = () => c.socket.frames.filter((f) => f.type === 'pong').length;
  const before = pongs();
  c.send({ type: 'ping' });
  await c.waitFor(() => pongs() > before);
}

async function sendAll(w: World, connectionId: string, texts: string[]): Promise<void> {
  for (const text of texts) await w.rest().sendToConnection(connectionId, text, { contentType: 'text/plain' });
}

for (const codec of codecs) {
  test(`${codec.name}: one order per connection across REST, group and event sends`, async (t) => {
    const w = await world(t);
    const { c: a, link } = await w.connect(codec, { userId: 'a' });
    const { c: b } = await w.connect(codec, { userId: 'b' });
    link.delay(2); // a slow link towards A: ordering must not depend on a quiet loopback
    a.join('g', 1);
    assert.equal((await a.ack(1)).success, true);
    const N = 25;
    const sources = [
      (async () => { for (let i = 0; i < N; i++) await w.rest().sendToConnection(a.connectionId, `rest-${i}`, { contentType: 'text/plain' }); })(),
      (async () => { for (let i = 0; i < N; i++) await w.rest().group('g').sendToAll(`rgrp-${i}`, { contentType: 'text/plain' }); })(),
      (async () => { for (let i = 0; i < N; i++) b.sendToGroup('g', `grp-${i}`, 100 + i); await b.ack(100 + N - 1); })(),
      (async () => { for (let i = 0; i < N; i++) a.event('ev', `ev-${i}`, 100 + i); await a.ack(100 + N - 1); })(),
    ];
    await Promise.all(sources);
    await a.deliveredCount(4 * N);
    assert.deepEqual(a.delivered.map((d) => d.sequenceId), range(1, 4 * N), 'ids 1..n, no gap, no repeat');
    assert.deepEqual(a.duplicatesDropped, []);
    for (const prefix of ['rest-', 'rgrp-', 'grp-', 're:ev-']) {
      const seen = a.delivered.filter((d) => d.data.startsWith(prefix)).map((d) => d.data);
      assert.deepEqual(seen, range(0, N - 1).map((i) => `${prefix}${i}`), `${prefix} messages in the order they were sent`);
    }
    // An event's reply reaches its sender before the event's ack (the service's order).
    const frames = a.socket.frames;
    for (let i = 0; i < N; i++) {
      const reply = frames.findIndex((f) => f.type === 'message' && f.data === `re:ev-${i}`);
      const ack = frames.findIndex((f) => f.type === 'ack' && f.ackId === 100 + i);
      assert.ok(reply >= 0 && reply < ack, `reply ${i} before its ack`);
    }
  });

  const faults = {
    'cut in the middle of a frame': async (w: World, a: ReliableTestClient, link: FaultConnection) => {
      link.cutAfter(2500); // the frames are about 1 KB: the cut lands inside the third one
      await sendAll(w, a.connectionId, range(6, 15).map(big));
      await a.socket.closed;
      assert.equal(a.delivered.length, 7, 'two whole frames went through, the third was cut');
    },
    'abrupt cut': async (w: World, a: ReliableTestClient, link: FaultConnection) => {
      await sendAll(w, a.connectionId, range(6, 15).map(big));
      await a.deliveredCount(15);
      link.cut();
    },
    'link that silently carries nothing': async (w: World, a: ReliableTestClient, link: FaultConnection) => {
      link.drop('toClient'); // the service's keep-alive pings go unanswered: it drops the socket
      await sendAll(w, a.connectionId, range(6, 15).map(big));
    },
  };

  for (const [name, fault] of Object.entries(faults)) {
    test(`${codec.name}: ${name}, then recovery with the reconnection token`, async (t) => {
      // Only the black-holed link needs the service's keep-alive to notice; short rounds keep the
      // test quick (too short and a busy machine's late pong looks like a dead peer).
      const w = await world(t, name.startsWith('link') ? { timing: { keepAliveIntervalMs: 1000 } } : {});
      const { c: a, link } = await w.connect(codec, { userId: 'a' });
      const { c: b } = await w.connect(codec, { userId: 'b' });
      a.join('g', 1);
      assert.equal((await a.ack(1)).success, true);
      await sendAll(w, a.connectionId, range(1, 5).map(big));
      await a.deliveredCount(5);
      a.sequenceAck(); // 1..5 acknowledged: only 6.. may be replayed
      await roundTrip(a);

      await fault(w, a, link);
      assert.equal((await a.socket.closed).code, 1006);
      // The service keeps the connection: more messages wait for it, group sends still reach it.
      await sendAll(w, a.connectionId, range(16, 20).map(big));
      b.sendToGroup('g', 'from-b', 9);
      assert.equal((await b.ack(9)).success, true);
      assert.equal(await w.rest().connectionExists(a.connectionId), true);
      assert.equal(w.recorded.disconnected.length, 0, 'no disconnected event while recovery is possible');

      await w.reconnect(a);
      const expected = [...range(1, 20).map(big), 'from-b'];
      await a.deliveredCount(expected.length);
      assert.deepEqual(a.delivered.map((d) => d.data), expected, 'every message once, in order');
      assert.deepEqual(a.delivered.map((d) => d.sequenceId), range(1, expected.length));
      const resumed = a.socket.frames;
      assert.equal(resumed.some((f) => f.type === 'connected'), false, 'no second connected');
      const firstReplayed = resumed.find((f) => f.type === 'message');
      assert.equal(firstReplayed?.type === 'message' && firstReplayed.sequenceId, 6, 'replay starts right after the last sequenceAck');
      assert.ok(a.duplicatesDropped.every((id) => id >= 6 && id <= 15), 'only frames received before the cut come again');

      // Still in its groups without rejoining; `connected` fired once, `disconnected` only now.
      await w.rest().group('g').sendToAll('after', { contentType: 'text/plain' });
      await a.deliveredCount(expected.length + 1);
      assert.equal(a.delivered.at(-1)!.data, 'after');
      assert.equal(w.recorded.connected.filter((id) => id === a.connectionId).length, 1);
      await a.close(1000);
      await until(() => w.recorded.disconnected.length === 1);
      assert.deepEqual(w.recorded.disconnected.map((d) => d.connectionId), [a.connectionId]);
    });
  }
}

function big(i: number): string {
  return `m${i}:${'x'.repeat(1000)}`;
}
