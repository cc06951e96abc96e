/**
 * Issue 13's end-to-end case behind a real load balancer: three `lapis start` processes, HAProxy
 * (Debian's) passing TLS through with round robin and health checks, `--public-url` naming it.
 * Official SDK clients on the reliable protocol connect through HAProxy; the node holding them is
 * killed with SIGKILL; HAProxy sends their recovery to a live node, which has their session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { clusterUnavailable } from '../helpers/cluster.ts';
import { balancedCluster, haproxyMissing } from '../helpers/haproxy.ts';
import { testRedis } from '../helpers/services.ts';
import { until } from './reliable-support.ts';

const skip = haproxyMissing ?? await clusterUnavailable();
const lbc = balancedCluster(skip, (b) => ({ resources: [{ type: 'Microsoft.SignalRService/WebPubSub', name: 'rlb', resourceGroup: 'rg-rlb', ports: { https: b + 2, http: b + 3 } }] }));

async function ownerOf(redis: Redis, connectionId: string): Promise<string> {
  const [key] = await redis.keys(`*sess:m:*:${encodeURIComponent(connectionId)}`);
  return key ? (await redis.hget(key, 'owner')) ?? '' : '';
}

interface Watched { client: WebPubSubClient; data: string[]; id: string; connected: number; disconnected: number }

test('through HAProxy: the node holding reliable clients is killed; they recover on live nodes with every message once, in order', { skip, timeout: 120_000 }, async () => {
  const rest = new WebPubSubServiceClient(lbc.cluster.nodes[0]!.ready.resources.find((r) => r.name === 'rlb')!.connectionString!, 'chat');
  const redis = new Redis(testRedis().url);
  const clients: Watched[] = [];
  try {
    // Round robin spreads them: some land on every node.
    for (let i = 0; i < 6; i++) {
      const w: Watched = { client: new WebPubSubClient({ getClientAccessUrl: async () => (await rest.getClientAccessToken({ userId: `r${i}`, groups: ['all'] })).url }, { autoReconnect: false }), data: [], id: '', connected: 0, disconnected: 0 };
      w.client.on('group-message', (e) => w.data.push(String(e.message.data)));
      w.client.on('server-message', (e) => w.data.push(String(e.message.data)));
      w.client.on('connected', (e) => { w.connected++; w.id = e.connectionId; });
      w.client.on('disconnected', () => { w.disconnected++; });
      await w.client.start();
      clients.push(w);
    }
    await until(() => clients.every((c) => c.id !== ''), 'every client connected');
    await rest.group('all').sendToAll('one', { contentType: 'text/plain' });
    await until(() => clients.every((c) => c.data.length === 1), 'the first message everywhere');
    // Kill the node holding the first client (and whichever others it holds).
    const owner = await ownerOf(redis, clients[0]!.id);
    const victim = lbc.cluster.nodes.find((n) => owner.startsWith(`${n.name}~`))!;
    assert.ok(victim, `the owner ${owner} is one of the nodes`);
    const moved: Watched[] = [];
    for (const c of clients) if ((await ownerOf(redis, c.id)).startsWith(`${victim.name}~`)) moved.push(c);
    await lbc.cluster.kill(victim, 'SIGKILL');
    // Their sessions come back on live nodes (adopted, or claimed by their recovery).
    await until(async () => (await Promise.all(moved.map((c) => rest.connectionExists(c.id)))).every(Boolean), 'the sessions on live nodes', 30_000);
    await rest.group('all').sendToAll('two', { contentType: 'text/plain' });
    for (const c of moved) await rest.sendToConnection(c.id, `to-${c.id}`, { contentType: 'text/plain' });
    await rest.group('all').sendToAll('three', { contentType: 'text/plain' });
    await until(() => clients.every((c) => c.data.length === (moved.includes(c) ? 4 : 3)), 'every message', 40_000);
    await sleep(300);
    for (const c of clients) {
      assert.deepEqual(c.data, moved.includes(c) ? ['one', 'two', `to-${c.id}`, 'three'] : ['one', 'two', 'three']);
      assert.equal(c.connected, 1, 'the same connection');
      assert.equal(c.disconnected, 0);
    }
    for (const c of moved) assert.ok(!(await ownerOf(redis, c.id)).startsWith(`${victim.name}~`), 'owned by a live node now');
  } finally {
    for (const c of clients) c.client.stop();
    redis.disconnect();
  }
});
