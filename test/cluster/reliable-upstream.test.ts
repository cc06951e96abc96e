/**
 * The upstream sees one logical connection however often a reliable session moves between nodes:
 * `connected` once when it opens; nothing when its node stops and another node adopts it; one
 * `disconnected`, from the adopting node, when its client never came back within the window.
 * (In-process cluster on PostgreSQL + Redis; a loopback event handler.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { until } from './reliable-support.ts';

const skip = await clusterUnavailable();
const RECOVERY_WINDOW_MS = 30_000;
let cluster: TestCluster | undefined;
let handler: Server | undefined;
const events: Array<{ type: string; connectionId: string }> = [];

before(async () => {
  if (skip) return;
  handler = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'WebHook-Allowed-Origin': '*' }).end();
      return;
    }
    req.resume();
    req.on('end', () => {
      events.push({ type: String(req.headers['ce-type']), connectionId: String(req.headers['ce-connectionid']) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => handler!.listen(0, '127.0.0.1', r));
  const port = (handler.address() as { port: number }).port;
  cluster = await startTestCluster({
    nodes: 2,
    config: {
      resources: [{
        type: 'Microsoft.SignalRService/WebPubSub', name: 'uwps', resourceGroup: 'rg-u',
        hubs: [{ name: 'chat', properties: { eventHandlers: [{ urlTemplate: `http://127.0.0.1:${port}/eventhandler/{event}`, systemEvents: ['connected', 'disconnected'] }] } }],
      }],
    },
  });
});
after(async () => {
  await cluster?.stop();
  await new Promise<void>((r) => (handler ? handler.close(() => r()) : r()));
});

test('connected once, nothing when the session moves, disconnected once from the node where it finally ends', { skip, timeout: 90_000 }, async () => {
  const node0 = cluster!.nodes[0]!;
  const resource = node0.ready.resources.find((r) => r.name === 'uwps')!;
  const { url } = await new WebPubSubServiceClient(resource.connectionString!, 'chat').getClientAccessToken({ userId: 'jay' });
  const u = new URL(url);
  const ws = new WebSocket(`${resource.httpEndpoint!.replace(/^http/, 'ws')}${u.pathname}${u.search}`, 'json.reliable.webpubsub.azure.v1');
  let connectionId = '';
  ws.on('message', (d) => {
    const f = JSON.parse(String(d)) as Record<string, unknown>;
    if (f.event === 'connected') connectionId = String(f.connectionId);
  });
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await until(() => connectionId !== '', 'connected');
  const mine = (type: string) => events.filter((e) => e.connectionId === connectionId && e.type === `azure.webpubsub.sys.${type}`).length;
  await until(() => mine('connected') === 1, 'the connected event');

  await cluster!.stopNode(node0); // the client gets 1012 and never comes back
  assert.equal(await closed, 1012);
  const rest1 = new WebPubSubServiceClient(cluster!.nodes[0]!.ready.resources.find((r) => r.name === 'uwps')!.connectionString!, 'chat');
  await until(() => rest1.connectionExists(connectionId), 'node 1 adopting the session', 10_000);
  await sleep(1000);
  assert.equal(mine('disconnected'), 0, 'no disconnected event when the session moves');

  await until(() => mine('disconnected') === 1, 'the disconnected event when the window passed', RECOVERY_WINDOW_MS + 10_000);
  assert.equal(await rest1.connectionExists(connectionId), false);
  await sleep(500);
  assert.equal(mine('connected'), 1);
  assert.equal(mine('disconnected'), 1);
});
