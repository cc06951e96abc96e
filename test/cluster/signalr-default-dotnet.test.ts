/**
 * SignalR default mode across nodes with the real app: the seed-002 ASP.NET Core app (unmodified
 * Microsoft.Azure.SignalR 1.34.0, connection string of node 1) holds server connections to node 1
 * only. Its negotiate redirects clients to node 1; here the redirect is followed to node 2 instead
 * (what a load balancer in front of both nodes does), where no server connection exists. The
 * official @microsoft/signalr client is served through node 1: hub invocations, Clients.Caller,
 * broadcasts and groups with a client of node 1, Clients.User, the caller's claims, a client result
 * (IHubContext InvokeAsync) and Context.Abort.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { buildDotnetApp, startDotnetApp, type DotnetApp } from '../interop/dotnet-app.ts';
import { waitUntilServing } from '../interop/app-ready.ts';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';

const KEY = 'cluster-dotnet-primary-key-0123456789abcdef';
const unavailable = await clusterUnavailable();
const build = unavailable ? undefined : await buildDotnetApp();
const skip = unavailable ?? (build && !build.ok ? build.reason : false);
let cluster: TestCluster | undefined;
let app: DotnetApp | undefined;
const clients: HubConnection[] = [];

before(async () => {
  if (skip || !build?.ok) return;
  cluster = await startTestCluster({
    nodes: 2,
    config: { resources: [{ type: 'Microsoft.SignalRService/signalR', name: 'cdn', resourceGroup: 'rg-c', accessKeys: { primaryKey: KEY, secondaryKey: 'cluster-dotnet-secondary-key-0123456789abcd' } }] },
  });
  const cs = cluster.nodes[0]!.ready.resources.find((r) => r.name === 'cdn')!.connectionString!;
  app = await startDotnetApp({ dllPath: build.dllPath, caCertPath: cluster.nodes[0]!.ready.caCertPath, env: { LAPIS_APP_MODE: 'connection-string', LAPIS_CONNECTION_STRING: cs, LAPIS_SERVER_CONNECTION_COUNT: '2' } });
  await waitUntilServing(app);
}, { timeout: 180_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => {})));
  await app?.stop();
  await cluster?.stop();
});

const portOf = (node: number) => new URL(/Endpoint=([^;]+)/.exec(cluster!.nodes[node]!.ready.resources.find((r) => r.name === 'cdn')!.connectionString!)![1]!).port;

/** Negotiates with the app, then connects to `node` with the app's redirect (the port swapped, as a load balancer would pick). */
async function connect(node: number, query = '', transport = HttpTransportType.WebSockets, msgpack = false): Promise<HubConnection> {
  const res = await fetch(`${app!.url}/chat/negotiate?negotiateVersion=1${query ? `&${query.slice(1)}` : ''}`, { method: 'POST' });
  const redirect = (await res.json()) as { url: string; accessToken: string };
  const url = new URL(redirect.url);
  assert.equal(url.port, portOf(0), 'the app redirects to the endpoint of its connection string (node 1)');
  url.port = portOf(node);
  const b = new HubConnectionBuilder().withUrl(url.toString(), { transport, accessTokenFactory: () => redirect.accessToken }).configureLogging(LogLevel.None);
  const c = (msgpack ? b.withHubProtocol(new MessagePackHubProtocol()) : b).build();
  try {
    await c.start();
  } catch (err) {
    throw new Error(`${(err as Error).message}\napp output:\n${app!.output.slice(-30).join('\n')}`);
  }
  clients.push(c);
  return c;
}

const next = (c: HubConnection, target: string) => new Promise<unknown[]>((r) => c.on(target, (...a: unknown[]) => r(a)));

test('a client of node 2 reaches the hub whose app server holds connections to node 1 only, on every transport', { skip, timeout: 60_000 }, async () => {
  const combos: Array<[HttpTransportType, boolean]> = [
    [HttpTransportType.WebSockets, false], [HttpTransportType.WebSockets, true], [HttpTransportType.ServerSentEvents, false], [HttpTransportType.LongPolling, true],
  ];
  for (const [transport, msgpack] of combos) {
    const c = await connect(1, '', transport, msgpack);
    assert.equal(await c.invoke('Echo', `echo ${transport}`), `echo ${transport}`);
    const toMe = next(c, 'caller');
    await c.invoke('SendToCaller', 'just me');
    assert.deepEqual(await toMe, ['just me']);
  }
});

test('broadcasts and groups span a node-1 client and a node-2 client; Clients.User reaches the node-2 user; the app sees its claims', { skip, timeout: 60_000 }, async () => {
  const one = await connect(0);
  const two = await connect(1, '?user=alice&name=Alice&role=admin');
  const who = (await two.invoke('WhoAmI')) as { userIdentifier: string; name: string; connectionId: string };
  assert.equal(who.userIdentifier, 'alice');
  assert.equal(who.name, 'Alice');
  assert.equal(who.connectionId, two.connectionId);
  assert.equal(await two.invoke('IsInRole', 'admin'), true);

  const both = Promise.all([next(one, 'broadcast'), next(two, 'broadcast')]);
  await one.invoke('Broadcast', 'to everyone');
  for (const args of await both) assert.equal(args[1], 'to everyone');

  assert.equal(await two.invoke('JoinGroup', 'room'), 'room');
  const inRoom = next(two, 'group');
  await one.invoke('SendToGroup', 'room', 'hi room');
  assert.equal((await inRoom)[2], 'hi room');

  const toAlice = next(two, 'user');
  await one.invoke('SendToUser', 'alice', 'hi alice');
  assert.equal((await toAlice)[1], 'hi alice');

  const direct = next(two, 'connection');
  await one.invoke('SendToConnection', two.connectionId, 'hi connection');
  assert.equal((await direct)[1], 'hi connection');
});

test('a client result from a node-2 client reaches the app on node 1; Context.Abort closes the node-2 client', { skip, timeout: 60_000 }, async () => {
  const c = await connect(1);
  c.on('ask', (question: string) => `answer to ${question}`);
  const res = await fetch(`${app!.url}/api/ask/${c.connectionId}?question=where`, { method: 'POST' });
  assert.equal(await res.text(), 'answer to where');
  const closed = new Promise<void>((r) => c.onclose(() => r()));
  c.invoke('Abort').catch(() => {});
  await closed;
});
