/**
 * The unmodified @azure/web-pubsub-client (reliable JSON by default) through the fault proxy: a
 * link cut in the middle of a frame is recovered without the application noticing (every
 * message once, in order, no new connection); a connection the service had to drop is reported
 * (`disconnected`, then a new connection with its groups rejoined), never silently continued.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { until } from '../../dataplane/helpers.ts';
import { range, world } from './support.ts';
import type { World } from './support.ts';

function sdkClient(w: World, userId: string, keepAliveTimeoutInMs = 1500) {
  const client = new WebPubSubClient(
    {
      getClientAccessUrl: async () => w.proxy.url((await w.rest().getClientAccessToken({ userId, roles: ['webpubsub.joinLeaveGroup'] })).url),
    },
    // Short keep-alive timers so nothing outlives the test (see client-sdk.test.ts).
    { keepAliveIntervalInMs: 500, keepAliveTimeoutInMs },
  );
  const received: string[] = [];
  const connected: string[] = [];
  const disconnected: string[] = [];
  client.on('group-message', (e) => received.push(String(e.message.data)));
  client.on('connected', (e) => connected.push(e.connectionId));
  client.on('disconnected', (e) => disconnected.push(e.message?.message ?? ''));
  return { client, received, connected, disconnected };
}

const send = async (w: World, from: number, to: number, pad = '') => {
  for (const i of range(from, to)) await w.rest().group('g').sendToAll(`m${i}${pad}`, { contentType: 'text/plain' });
};
const names = (received: string[]) => received.map((r) => r.split(':')[0]!);

test('JS SDK: a link cut mid-frame is recovered: every message once, in order, same connection', async (t) => {
  const w = await world(t);
  const s = sdkClient(w, 'sdk');
  t.after(() => s.client.stop());
  const firstLink = w.proxy.nextConnection();
  await s.client.start();
  await s.client.joinGroup('g');
  const link = await firstLink;
  const pad = `:${'p'.repeat(1000)}`;
  await send(w, 1, 10, pad);
  await until(() => s.received.length === 10);
  link.cutAfter(2500); // lands inside the third frame of the next burst
  const recovered = w.proxy.nextConnection(w.proxy.connections.length);
  await send(w, 11, 30, pad);
  await recovered;
  await until(() => s.received.length >= 30, 10_000);
  await send(w, 31, 31, pad);
  await until(() => s.received.length >= 31);
  assert.deepEqual(names(s.received), range(1, 31).map((i) => `m${i}`));
  assert.equal(s.connected.length, 1, 'no new connection');
  assert.deepEqual(s.disconnected, []);
  assert.equal(w.recorded.connected.length, 1);
  assert.equal(w.recorded.disconnected.length, 0);
});

test('JS SDK: a connection dropped for not reading is reported and replaced, not silently continued', async (t) => {
  const w = await world(t, { limits: { maxSocketBufferBytes: 512 * 1024 } });
  // A stalled link also starves the SDK's own keep-alive check: keep it from closing first, so
  // it is the service's buffer limit that ends the connection here.
  const s = sdkClient(w, 'sdk', 30_000);
  t.after(() => s.client.stop());
  const firstLink = w.proxy.nextConnection();
  await s.client.start();
  await s.client.joinGroup('g');
  const link = await firstLink;
  await until(() => s.connected.length === 1);
  const first = s.connected[0]!;
  link.stallReads();
  await send(w, 1, 300, `:${'q'.repeat(64 * 1024)}`); // ~19 MiB: past every buffer
  await until(async () => !(await w.rest().connectionExists(first)), 10_000);
  link.resume();
  // The SDK tries to recover, gets 1008, says so, and connects anew (rejoining its group).
  await until(() => s.disconnected.length === 1 && s.connected.length === 2, 20_000);
  const second = s.connected[1]!;
  assert.notEqual(second, first);
  // Rejoined: a group send reaches the new connection (repeated until the rejoin went through).
  await until(async () => {
    await w.rest().group('g').sendToAll('after', { contentType: 'text/plain' });
    return s.received.includes('after');
  }, 10_000);
  const ended = w.recorded.disconnected.find((d) => d.connectionId === first);
  assert.match(ended?.reason ?? '', /did not read its messages fast enough|reliable message buffer is full/);
});
