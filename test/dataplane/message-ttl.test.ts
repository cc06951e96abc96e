/**
 * `messageTtlSeconds`: Azure drops what a client has not consumed within the TTL. Lapis cannot
 * honour that (no per-message queue to expire from), so every send that asks for a TTL is refused
 * with 400 — never accepted and ignored — and nothing of it is delivered; 0 (never expires) works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start, rawClient } from './helpers.ts';

test('server SDK sends with messageTtlSeconds > 0 are refused with 400; 0 is delivered', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const hub = h.client('hub');
  const c = await rawClient((await hub.getClientAccessToken({ userId: 'u', groups: ['g'] })).url, 'json.webpubsub.azure.v1');
  const { connectionId } = await c.next((m) => m.event === 'connected');
  const options = { contentType: 'text/plain' as const, messageTtlSeconds: 60 };
  const refused = [
    hub.sendToAll('all', options),
    hub.group('g').sendToAll('group', options),
    hub.sendToUser('u', 'user', options),
    hub.sendToConnection(connectionId, 'connection', options),
  ];
  for (const call of refused) {
    await assert.rejects(call, (e: any) => e.statusCode === 400 && e.code === 'Error.BadRequest' && /messageTtlSeconds is not supported by Lapis/.test(e.message));
  }
  await hub.sendToAll('no ttl', { contentType: 'text/plain', messageTtlSeconds: 0 });
  const first = await c.next((m) => m.type === 'message');
  assert.equal(first.data, 'no ttl', 'nothing of the refused sends arrived before it');
});
