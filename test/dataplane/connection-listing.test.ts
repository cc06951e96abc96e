/**
 * Lapis's connection listing (`GET /api/hubs/{hub}/:connections`): every live connection of a hub
 * with its user, groups, permissions and protocol, paged by a self-contained nextLink, called
 * through the unmodified @azure/web-pubsub pipeline (access-key auth as the SDK signs it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import type { WebPubSubServiceClient } from '@azure/web-pubsub';
import { start, rawClient } from './helpers.ts';
import type { Harness } from './helpers.ts';

async function connect(h: Harness, hub: string, opts: { userId?: string; roles?: string[]; groups?: string[] } = {}) {
  const { url } = await h.client(hub).getClientAccessToken(opts);
  const c = await rawClient(url, 'json.webpubsub.azure.v1');
  const connected = await c.next((m) => m.event === 'connected');
  return Object.assign(c, { connectionId: connected.connectionId as string });
}

/** A GET through the SDK's own pipeline (its access-key policy signs the request). */
async function get(sc: WebPubSubServiceClient, endpoint: string, pathAndQuery: string): Promise<{ status: number; body: any }> {
  const client = (sc as unknown as { client: { sendRequest(r: unknown): Promise<{ status: number; bodyAsText?: string }> } }).client;
  const res = await client.sendRequest(createPipelineRequest({ url: `${endpoint}${pathAndQuery}`, method: 'GET', allowInsecureConnection: true }));
  return { status: res.status, body: res.bodyAsText ? JSON.parse(res.bodyAsText) : undefined };
}

test('the listing shows each connection with user, groups, roles and protocol, paged by nextLink', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const sc = h.client('chat');
  const a = await connect(h, 'chat', { userId: 'alice', groups: ['g1'], roles: ['webpubsub.sendToGroup.g1', 'webpubsub.joinLeaveGroups.room-*'] });
  const b = await connect(h, 'Chat', { userId: 'bob' });
  const c = await connect(h, 'chat');
  await connect(h, 'other', { userId: 'carol' });
  await sc.group('g2').addConnection(b.connectionId);

  const first = await get(sc, h.endpoint, '/api/hubs/chat/:connections?api-version=2024-12-01&maxpagesize=2');
  assert.equal(first.status, 200);
  assert.equal(first.body.value.length, 2);
  assert.match(first.body.nextLink, /^\/api\/hubs\/chat\/:connections\?/);
  const second = await get(sc, h.endpoint, first.body.nextLink);
  assert.equal(second.status, 200);
  assert.equal(second.body.nextLink, undefined);
  const all = [...first.body.value, ...second.body.value];
  const ids = [a.connectionId, b.connectionId, c.connectionId].sort();
  assert.deepEqual(all.map((x: any) => x.connectionId), ids, 'every connection of the hub once, in id order, none of another hub');

  const alice = all.find((x: any) => x.connectionId === a.connectionId);
  assert.equal(alice.userId, 'alice');
  assert.deepEqual(alice.groups, ['g1']);
  assert.deepEqual(alice.roles.sort(), ['webpubsub.joinLeaveGroups.room-*', 'webpubsub.sendToGroup.g1']);
  assert.equal(alice.protocol, 'json.webpubsub.azure.v1');
  assert.ok(Date.parse(alice.connectedAt) <= Date.now());
  assert.deepEqual(all.find((x: any) => x.connectionId === b.connectionId).groups, ['g2']);
  assert.equal(all.find((x: any) => x.connectionId === c.connectionId).userId, null);

  const topped = await get(sc, h.endpoint, '/api/hubs/chat/:connections?top=1');
  assert.equal(topped.body.value.length, 1);
  assert.equal(topped.body.nextLink, undefined, 'top bounds the whole listing');

  const empty = await get(sc, h.endpoint, '/api/hubs/nobody/:connections');
  assert.deepEqual(empty.body, { value: [] });
});

test('the listing refuses bad paging parameters with Azure-shaped 400s and needs credentials', async (t) => {
  const h = await start();
  t.after(() => h.close());
  const sc = h.client('chat');
  for (const q of ['maxpagesize=0', 'maxpagesize=201', 'top=x', 'continuationToken=%25%25']) {
    const r = await get(sc, h.endpoint, `/api/hubs/chat/:connections?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.code, 'Error.BadRequest', q);
  }
  const anonymous = await fetch(`${h.endpoint}/api/hubs/chat/:connections`);
  assert.equal(anonymous.status, 401);
  const post = await fetch(`${h.endpoint}/api/hubs/chat/:connections`, { method: 'POST' });
  assert.equal(post.status, 405);
});
