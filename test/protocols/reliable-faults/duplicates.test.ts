/**
 * A publisher that resends with the same `ackId` — at once, after its ack was lost with the link,
 * or while the first attempt is still being handled — gets `Duplicate` (or the one answer of the
 * first attempt), and the message is delivered, or the event handled, exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReliableTestClient } from '../../helpers/reliable-client.ts';
import { until } from '../../dataplane/helpers.ts';
import { codecs, world } from './support.ts';

async function roundTrip(c: ReliableTestClient): Promise<void> {
  const pongs = () => c.socket.frames.filter((f) => f.type === 'pong').length;
  const before = pongs();
  c.send({ type: 'ping' });
  await c.waitFor(() => pongs() > before);
}

const count = (c: ReliableTestClient, data: string) => c.delivered.filter((d) => d.data === data).length;

for (const codec of codecs) {
  test(`${codec.name}: a resend with the same ackId gets Duplicate and is delivered once, also after a reconnect`, async (t) => {
    const w = await world(t);
    const { c: a, link } = await w.connect(codec, { userId: 'a' });
    const { c: b } = await w.connect(codec, { userId: 'b' });
    b.join('g', 1);
    await b.ack(1);

    // Same socket: the second send is a duplicate.
    a.sendToGroup('g', 'd1', 7);
    assert.equal((await a.ack(7)).success, true);
    const acked = a.acks.length;
    a.sendToGroup('g', 'd1', 7);
    const dup = await a.ack(7, acked);
    assert.equal(dup.success, false);
    assert.equal(dup.error?.name, 'Duplicate');

    // The ack is lost with the link: the publisher cannot know, so it resends after recovering.
    link.drop('toClient');
    a.sendToGroup('g', 'd2', 8);
    await b.waitFor(() => count(b, 'd2') === 1);
    a.event('ev', 'e1', 9);
    await until(() => w.recorded.events.length === 1); // handled (its ack and reply lost)
    link.cut();
    await a.socket.closed;
    assert.equal(a.acks.some((x) => x.ackId === 8 || x.ackId === 9), false, 'the acks were lost');
    await w.reconnect(a);
    const before = a.acks.length;
    a.sendToGroup('g', 'd2', 8);
    a.event('ev', 'e1', 9);
    for (const id of [8, 9]) {
      const again = await a.ack(id, before);
      assert.equal(again.error?.name, 'Duplicate', `ackId ${id} after the reconnect`);
    }
    // Markers behind the resends: when they arrive, anything the resends caused has arrived too.
    b.sendToGroup('g', 'marker', 10);
    await b.waitFor(() => count(b, 'marker') === 1);
    assert.equal(count(b, 'd1'), 1);
    assert.equal(count(b, 'd2'), 1);
    assert.deepEqual(w.recorded.events.filter((e) => e.endsWith(':e1')), [`${a.connectionId}:ev:e1`], 'the event was handled once');
    await a.waitFor(() => count(a, 're:e1') === 1); // its reply was kept for the replay
  });

  test(`${codec.name}: a resend while the first attempt is still being handled is not handled twice`, async (t) => {
    const w = await world(t);
    const { c: a, link } = await w.connect(codec, { userId: 'a' });
    w.gate.close(); // the event handler does not answer yet
    a.event('ev', 'slow', 5);
    await roundTrip(a); // the event was read and is waiting for the handler
    link.cut();
    await a.socket.closed;
    await w.reconnect(a);
    const before = a.acks.length;
    a.event('ev', 'slow', 5);
    await roundTrip(a);
    w.gate.release();
    const ack = await a.ack(5, before);
    assert.equal(ack.success, true);
    await a.waitFor(() => count(a, 're:slow') === 1);
    await roundTrip(a);
    assert.deepEqual(w.recorded.events, [`${a.connectionId}:ev:slow`], 'handled once');
    assert.equal(a.acks.slice(before).filter((x) => x.ackId === 5).length, 1, 'one answer for ackId 5');
    assert.equal(count(a, 're:slow'), 1);
  });
}
