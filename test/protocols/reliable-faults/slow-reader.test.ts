/**
 * A reliable client that stops reading (its link stalls: nothing is read from the service) is
 * dropped once its buffers are full, while the other clients of the same broadcast get every
 * message; the dropped one learns it on its next recovery attempt (1008), not by a gap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../../dataplane/helpers.ts';
import type { ReliableTestClient } from '../../helpers/reliable-client.ts';
import { codecs, range, world } from './support.ts';

for (const codec of codecs) {
  test(`${codec.name}: a client that stops reading is dropped at its buffer limit; the others keep going`, async (t) => {
    const w = await world(t, { limits: { maxSocketBufferBytes: 1024 * 1024 } });
    const { c: stalled, link } = await w.connect(codec, { userId: 'stalled', groups: ['g'] });
    const readers: ReliableTestClient[] = [];
    for (let i = 0; i < 3; i++) readers.push((await w.connect(codec, { userId: `r${i}`, groups: ['g'] })).c);
    link.stallReads();
    // 64 KiB each, 400 of them: 25 MiB, more than the socket buffer limit plus what kernel
    // buffers hold, and more than the 16 MiB recovery buffer of a client that acks nothing.
    const chunk = 'z'.repeat(64 * 1024);
    const N = 400;
    const acking = setInterval(() => {
      for (const r of readers) if (r.delivered.length > 0) r.sequenceAck();
    }, 50);
    t.after(() => clearInterval(acking));
    for (let i = 0; i < N; i++) await w.rest().group('g').sendToAll(`${i}:${chunk}`, { contentType: 'text/plain' });
    for (const r of readers) {
      await r.deliveredCount(N, 30_000);
      assert.deepEqual(r.delivered.map((d) => d.sequenceId), range(1, N), `${r.connectionId}: everything, in order`);
    }
    // All of that reached the readers while the stalled client still read nothing.
    assert.equal(link.forwarded.toClient < 2 * 1024 * 1024, true);
    await until(async () => !(await w.rest().userExists('stalled')), 10_000);
    for (let i = 0; i < 3; i++) assert.equal(await w.rest().userExists(`r${i}`), true);
    assert.equal(w.recorded.disconnected.length, 1);
    assert.match(w.recorded.disconnected[0]!.reason, /did not read its messages fast enough|reliable message buffer is full/);

    link.resume();
    await stalled.socket.closed;
    const seen = stalled.delivered.length;
    assert.ok(seen < N, 'the stalled client did not get everything');
    await w.reconnect(stalled);
    assert.equal((await stalled.socket.closed).code, 1008, 'its recovery is refused: the gap is never silent');
    assert.equal(stalled.delivered.length, seen);
  });
}
