/**
 * Where reliability cannot hold, the connection ends visibly — a `disconnected` message and close
 * 1008 (the code reliable clients do not recover from), and 1008 for any later recovery attempt —
 * never a silent gap: a sequenceAck ahead of what was sent, a recovery buffer over its count or
 * byte limit (attached or waiting for its client), an expired recovery window, a token for
 * another connection or hub, and reuse after the final close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../../dataplane/helpers.ts';
import type { ReliableTestClient } from '../../helpers/reliable-client.ts';
import { MAX_UNACKED_BYTES, MAX_UNACKED_MESSAGES } from '../../../src/protocols/webpubsub/reliable-buffer.ts';
import { codecs, HUB, world } from './support.ts';
import type { World } from './support.ts';

const BUFFER_FULL = 'The reliable message buffer is full.';

async function refusedRecovery(w: World, c: ReliableTestClient, over?: Parameters<World['reconnect']>[1]): Promise<void> {
  await w.reconnect(c, over);
  const closed = await c.socket.closed;
  assert.equal(closed.code, 1008, `recovery refused with 1008 (${JSON.stringify(over ?? {})})`);
  assert.equal(c.socket.frames.some((f) => f.type === 'message'), false, 'nothing replayed on a refused recovery');
}

function disconnectedFrame(c: ReliableTestClient): string | undefined {
  const f = c.socket.frames.find((x) => x.type === 'disconnected');
  return f?.type === 'disconnected' ? f.message : undefined;
}

for (const codec of codecs) {
  test(`${codec.name}: a sequenceAck ahead of what was sent ends the connection with 1008`, async (t) => {
    const w = await world(t);
    const { c: a } = await w.connect(codec, { userId: 'a' });
    for (let i = 1; i <= 3; i++) await w.rest().sendToConnection(a.connectionId, `m${i}`, { contentType: 'text/plain' });
    await a.deliveredCount(3);
    a.sequenceAck(3); // fine: everything sent
    a.sequenceAck(100);
    const closed = await a.socket.closed;
    assert.equal(closed.code, 1008);
    assert.match(disconnectedFrame(a) ?? '', /sequenceAck 100 is beyond the last sequence id sent \(3\)/);
    await until(() => w.recorded.disconnected.length === 1);
    await refusedRecovery(w, a);
  });

  test(`${codec.name}: a recovery buffer over its message count ends the connection, attached or waiting`, async (t) => {
    const w = await world(t);
    const { c: a } = await w.connect(codec, { userId: 'a', groups: ['g'] });
    const { c: waiting, link } = await w.connect(codec, { userId: 'w', groups: ['g'] });
    const { c: sender } = await w.connect(codec, { userId: 's' });
    link.cut();
    await waiting.socket.closed;
    // Neither acknowledges: the 1001st unacknowledged message is one too many.
    for (let i = 1; i <= MAX_UNACKED_MESSAGES + 1; i++) sender.sendToGroup('g', `m${i}`);
    const closed = await a.socket.closed;
    assert.equal(closed.code, 1008);
    assert.equal(disconnectedFrame(a), BUFFER_FULL);
    assert.equal(a.delivered.length, MAX_UNACKED_MESSAGES, 'what fitted arrived; what did not ended the connection');
    assert.equal(a.delivered.at(-1)!.sequenceId, MAX_UNACKED_MESSAGES);
    await until(() => w.recorded.disconnected.length === 2);
    assert.deepEqual(new Set(w.recorded.disconnected.map((d) => d.reason)), new Set([BUFFER_FULL]));
    await refusedRecovery(w, a);
    await refusedRecovery(w, waiting);
  });

  test(`${codec.name}: a recovery buffer over its byte limit ends the connection with 1008`, async (t) => {
    const w = await world(t, { limits: { maxSocketBufferBytes: 64 * 1024 * 1024 } });
    const { c: a } = await w.connect(codec, { userId: 'a', groups: ['g'] });
    const { c: sender } = await w.connect(codec, { userId: 's' });
    const chunk = 'y'.repeat(900 * 1024);
    const n = Math.ceil(MAX_UNACKED_BYTES / chunk.length) + 1;
    for (let i = 1; i <= n; i++) sender.sendToGroup('g', `${i}:${chunk}`);
    const closed = await a.socket.closed;
    assert.equal(closed.code, 1008);
    assert.equal(disconnectedFrame(a), BUFFER_FULL);
    assert.ok(a.delivered.length < n && a.delivered.length * chunk.length <= MAX_UNACKED_BYTES);
    await refusedRecovery(w, a);
  });

  test(`${codec.name}: recovery after the window expired is refused with 1008`, async (t) => {
    const w = await world(t, { timing: { recoveryWindowMs: 200 } });
    const { c: a, link } = await w.connect(codec, { userId: 'a' });
    link.cut();
    await a.socket.closed;
    await until(() => w.recorded.disconnected.length === 1);
    assert.match(w.recorded.disconnected[0]!.reason, /recovery window/);
    assert.equal(await w.rest().connectionExists(a.connectionId), false);
    await refusedRecovery(w, a);
  });

  test(`${codec.name}: a reconnection token for another connection or hub is refused; the right one still works`, async (t) => {
    const w = await world(t);
    const { c: a, link } = await w.connect(codec, { userId: 'a' });
    const { c: b } = await w.connect(codec, { userId: 'b' });
    link.cut();
    await a.socket.closed;
    const otherHub = a.url.replace(`/client/hubs/${HUB}`, '/client/hubs/otherhub');
    await refusedRecovery(w, a, { connectionId: b.connectionId }); // a's token, b's connection
    await refusedRecovery(w, a, { token: b.reconnectionToken }); // b's token, a's connection
    await refusedRecovery(w, a, { url: otherHub }); // the right pair, another hub
    await refusedRecovery(w, a, { token: `${a.reconnectionToken}x` });
    await w.rest().sendToConnection(a.connectionId, 'kept', { contentType: 'text/plain' });
    await w.reconnect(a);
    await a.deliveredCount(1);
    assert.equal(a.delivered[0]!.data, 'kept');
    assert.equal(b.socket.ws.readyState, b.socket.ws.OPEN, 'the other connection is untouched');
    assert.equal(w.recorded.disconnected.length, 0);
  });

  test(`${codec.name}: a token cannot be reused after the final close (client close or REST close)`, async (t) => {
    const w = await world(t);
    const { c: a } = await w.connect(codec, { userId: 'a' });
    const { c: b } = await w.connect(codec, { userId: 'b' });
    await a.close(1000);
    await until(() => w.recorded.disconnected.length === 1);
    await refusedRecovery(w, a);
    await w.rest().closeConnection(b.connectionId, { reason: 'bye' });
    await b.socket.closed;
    assert.equal(disconnectedFrame(b), 'bye');
    await until(() => w.recorded.disconnected.length === 2);
    await refusedRecovery(w, b);
  });
}
