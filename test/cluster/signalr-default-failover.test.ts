/**
 * SignalR default mode across nodes when a node dies (three `lapis start` processes, SIGKILL):
 * - the node holding the app server connection dies: the clients it served for another node are
 *   closed by their own node once its heartbeat expires, with a reason, and are not left hanging;
 * - the node holding the clients dies: the app server on the serving node gets CloseConnection for
 *   each of them (OnDisconnectedAsync runs), as when a local client leaves.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { CLIENT_NODE_GONE_TEXT, SERVING_NODE_GONE_TEXT } from '../../src/dataplane/signalr/server/remote-relay.ts';
import { clientKeyToken, handshaken, serverKeyToken, type RawApp } from '../dataplane/signalr/raw-app-peer.ts';
import { clusterUnavailable } from '../helpers/cluster.ts';
import { freePortBlock, startProcessCluster, type ProcessCluster, type ProcessNode } from '../helpers/cluster-process.ts';

const skip = await clusterUnavailable();
const KEY = 'cluster-default-failover-primary-key-01234567';
const HUB = 'chat';
let cluster: ProcessCluster | undefined;

before(async () => {
  if (skip) return;
  const base = await freePortBlock(4, [0, 100, 200, 300]);
  cluster = await startProcessCluster({
    nodes: 3, basePort: base,
    config: (b) => ({
      resources: [{
        type: 'Microsoft.SignalRService/signalR', name: 'cdf', resourceGroup: 'rg-c', ports: { https: b + 2, http: b + 3 },
        accessKeys: { primaryKey: KEY, secondaryKey: 'cluster-default-failover-secondary-key-0123456' },
      }],
    }),
  });
});
after(async () => { await cluster?.stop(); });

const endpointOf = (node: ProcessNode) => /Endpoint=([^;]+)/.exec(node.ready.resources.find((r) => r.name === 'cdf')!.connectionString!)![1]!;

async function appOn(node: ProcessNode): Promise<RawApp> {
  const app = await handshaken(endpointOf(node), HUB, await serverKeyToken(endpointOf(node), HUB, KEY), `app_on_${node.name}`);
  app.ws.on('error', () => {}); // its node may be killed under it
  app.answerClients();
  app.keepAlive();
  return app;
}

async function clientOn(node: ProcessNode, user: string): Promise<{ c: HubConnection; closed: Promise<Error | undefined> }> {
  const endpoint = endpointOf(node);
  const c = new HubConnectionBuilder().withUrl(`${endpoint}/client/?hub=${HUB}`, {
    transport: HttpTransportType.WebSockets, accessTokenFactory: () => clientKeyToken(endpoint, HUB, KEY, { nameid: user }),
  }).configureLogging(LogLevel.None).build();
  const closed = new Promise<Error | undefined>((r) => c.onclose((e) => r(e)));
  await c.start();
  return { c, closed };
}

test('the serving node is killed: its clients on another node are closed with the reason once its heartbeat expires', { skip, timeout: 120_000 }, async () => {
  const [a, b] = cluster!.nodes as [ProcessNode, ProcessNode, ProcessNode];
  const app = await appOn(a);
  const { closed } = await clientOn(b, 'alice');
  await app.next('OpenConnection');
  const killedAt = Date.now();
  await cluster!.kill(a, 'SIGKILL');
  const err = await closed;
  assert.ok(err?.message.includes(SERVING_NODE_GONE_TEXT), String(err?.message));
  // The node TTL (6 s) plus one liveness check (2 s), with room for a loaded machine.
  assert.ok(Date.now() - killedAt < 20_000, 'closed after the heartbeat expired, not left hanging');
  app.close();
});

test('the clients\' node is killed: the app server on the serving node gets CloseConnection for each', { skip, timeout: 120_000 }, async () => {
  const [b, c] = cluster!.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null) as [ProcessNode, ProcessNode];
  const app = await appOn(c);
  const client = await clientOn(b, 'bob');
  const open = await app.next('OpenConnection');
  client.closed.catch(() => {});
  await cluster!.kill(b, 'SIGKILL');
  const close = await app.next('CloseConnection', 20_000);
  assert.equal(close.connectionId, open.connectionId);
  assert.equal(close.errorMessage, CLIENT_NODE_GONE_TEXT);
  app.close();
});
