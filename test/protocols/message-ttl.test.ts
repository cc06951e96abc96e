/**
 * A client's `sendToGroup` with a TTL (`ttlSeconds` / protobuf `ttl_seconds`) is refused with a
 * BadRequest ack and delivers nothing — Lapis cannot expire messages, so it never accepts and
 * ignores a TTL; 0 (never expires) is delivered as usual. Same for both wire formats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start, rawClient } from '../dataplane/helpers.ts';
import { protobufClient, text } from '../helpers/protobuf-client.ts';

const ROLES = { roles: ['webpubsub.sendToGroup'], groups: ['g'] };

test('JSON: sendToGroup with ttlSeconds > 0 gets a BadRequest ack; 0 is delivered', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const c = await rawClient((await h.client('hub').getClientAccessToken(ROLES)).url, 'json.webpubsub.azure.v1');
  await c.next((m) => m.event === 'connected');
  const send = (ackId: number, ttlSeconds: unknown) => c.send({ type: 'sendToGroup', group: 'g', ackId, dataType: 'text', data: `ttl-${ackId}`, ttlSeconds });
  send(1, 60);
  const refused = await c.next((m) => m.type === 'ack' && m.ackId === 1);
  assert.equal(refused.success, false);
  assert.equal(refused.error.name, 'BadRequest');
  assert.match(refused.error.message, /ttlSeconds is not supported by Lapis/);
  send(2, 301);
  assert.match((await c.next((m) => m.type === 'ack' && m.ackId === 2)).error.message, /between 0 and 300/);
  send(3, 0);
  assert.equal((await c.next((m) => m.type === 'ack' && m.ackId === 3)).success, true);
  // The echo of the accepted send comes before its ack; nothing of the refused ones came at all.
  assert.deepEqual(c.messages.filter((m: any) => m.type === 'message').map((m: any) => m.data), ['ttl-3']);
});

test('protobuf: sendToGroup with ttl_seconds > 0 gets a BadRequest ack; 0 is delivered', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const c = await protobufClient((await h.client('hub').getClientAccessToken(ROLES)).url);
  await c.connected;
  const send = (ackId: number, ttlSeconds: number) =>
    c.send({ message: { case: 'sendToGroupMessage', value: { group: 'g', ackId: BigInt(ackId), data: text(`ttl-${ackId}`), ttlSeconds } } });
  send(1, 60);
  const refused = await c.ack(1);
  assert.equal(refused.success, false);
  assert.equal(refused.error?.name, 'BadRequest');
  assert.match(refused.error?.message ?? '', /ttlSeconds is not supported by Lapis/);
  send(2, 0);
  assert.equal((await c.ack(2)).success, true);
  const first = await c.nextData();
  assert.equal(first.data?.data.case === 'textData' && first.data.data.value, 'ttl-2');
});
