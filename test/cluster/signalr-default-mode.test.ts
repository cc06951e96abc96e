/**
 * SignalR default mode across nodes: a raw app server (the service protocol by hand) is connected
 * to node 1 only, and official @microsoft/signalr clients connect through node 2. The client is
 * served through node 1: it negotiates and connects, echoes through the app, receives the app's
 * broadcasts and sends to its connection id and user; the app sees its claims, its leaving, and its
 * Context.Abort reaches it; the app's status ping counts it, and its servers ping lists the app
 * servers of both nodes. The app server going away, or node 1 stopping, closes the node-2 client as
 * a local app server's loss would; a long-lived route survives the nodes' periodic comparison.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import type { ServiceMessage } from '../../src/protocols/signalr-service/index.ts';
import { SignJWT } from 'jose';
import { clientKeyToken, handshaken, hostAud, serverKeyToken, sleep, until, type RawApp } from '../dataplane/signalr/raw-app-peer.ts';
import { LOOKUP_CACHE_MS } from '../../src/dataplane/signalr/server/remote-relay.ts';
import { clusterUnavailable, startTestCluster, type TestCluster } from '../helpers/cluster.ts';

const skip = await clusterUnavailable();
const KEY = 'cluster-default-mode-primary-key-0123456789';
const HUB = 'chat';
let cluster: TestCluster | undefined;

before(async () => {
  if (skip) return;
  cluster = await startTestCluster({
    nodes: 2,
    config: {
      resources: [{ type: 'Microsoft.SignalRService/signalR', name: 'cdm', resourceGroup: 'rg-c', accessKeys: { primaryKey: KEY, secondaryKey: 'cluster-default-mode-secondary-key-012345678' } }],
    },
  });
});
after(async () => { await cluster?.stop(); });

const endpointOf = (node: number) => /Endpoint=([^;]+)/.exec(cluster!.nodes[node]!.ready.resources.find((r) => r.name === 'cdm')!.connectionString!)![1]!;
const json = (x: unknown) => new Map([['json', Buffer.from(`${JSON.stringify(x)}\u001e`)]]);

/** An app server on `node` that answers hub handshakes and echoes `echo` invocations, as a hub would. */
async function appOn(node: number, serverId = 'cluster_app_1'): Promise<RawApp> {
  const app = await handshaken(endpointOf(node), HUB, await serverKeyToken(endpointOf(node), HUB, KEY), serverId);
  app.answerClients();
  app.keepAlive();
  app.ws.on('message', () => {
    // Answer `echo` invocations found among the ConnectionData the peer has read (left in `messages` for the test).
    for (const m of app.messages) {
      if (m.kind !== 'ConnectionData' || (m as { answered?: boolean }).answered) continue;
      (m as { answered?: boolean }).answered = true;
      for (const f of Buffer.from(m.payload).toString().split('\u001e')) {
        if (!f.startsWith('{')) continue;
        const inv = JSON.parse(f) as { type: number; invocationId?: string; target?: string; arguments?: unknown[] };
        if (inv.type === 1 && inv.target === 'echo' && inv.invocationId !== undefined) {
          app.send({ kind: 'ConnectionData', connectionId: m.connectionId, payload: Buffer.from(`${JSON.stringify({ type: 3, invocationId: inv.invocationId, result: inv.arguments?.[0] })}\u001e`), ext: {} });
        }
      }
    }
  });
  return app;
}

async function clientOn(node: number, claims: Record<string, unknown>, transport = HttpTransportType.WebSockets): Promise<{ c: HubConnection; got: unknown[]; closed: Promise<Error | undefined> }> {
  const endpoint = endpointOf(node);
  const c = new HubConnectionBuilder().withUrl(`${endpoint}/client/?hub=${HUB}`, { transport, accessTokenFactory: () => clientKeyToken(endpoint, HUB, KEY, claims) })
    .configureLogging(LogLevel.None).build();
  const got: unknown[] = [];
  c.on('m', (x: unknown) => got.push(x));
  const closed = new Promise<Error | undefined>((r) => c.onclose((e) => r(e)));
  await c.start();
  return { c, got, closed };
}

const restToken = (aud: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience(aud).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(KEY));
/** The service's answer to the app's keyed ping (skipping the service's own keep-alive pings). */
async function ask(app: RawApp, key: string, value: string): Promise<(string | null)[]> {
  app.send({ kind: 'Ping', messages: [key, value] });
  for (;;) {
    const p = await app.next('Ping');
    if (p.messages[0] === key) return p.messages;
  }
}
const opened = async (app: RawApp) => (await app.next('OpenConnection')) as Extract<ServiceMessage, { kind: 'OpenConnection' }>;

test('a client on node 2 is served by the app server connected to node 1: echo, broadcast, its connection id, its user, claims, leaving', { skip, timeout: 60_000 }, async () => {
  const app = await appOn(0);
  try {
    for (const transport of [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling]) {
      const { c, got } = await clientOn(1, { nameid: 'alice', unique_name: 'Alice', role: 'admin' }, transport);
      const open = await opened(app);
      const claim = (t: string) => open.claims.find((x) => x.type === t)?.value;
      assert.equal(claim('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier'), 'alice');
      assert.equal(claim('http://schemas.microsoft.com/ws/2008/06/identity/claims/role'), 'admin');
      assert.ok(!open.headers.has('authorization'), 'no credentials reach the app');
      assert.equal(c.connectionId, open.connectionId);

      assert.equal(await c.invoke('echo', `hello ${transport}`), `hello ${transport}`);
      app.send({ kind: 'Broadcast', excludedConnectionIds: [], payloads: json({ type: 1, target: 'm', arguments: ['to all'] }), ext: {} });
      app.send({ kind: 'MultiConnectionData', connectionIds: [open.connectionId], payloads: json({ type: 1, target: 'm', arguments: ['to you'] }), ext: {} });
      app.send({ kind: 'UserData', userId: 'alice', payloads: json({ type: 1, target: 'm', arguments: ['to alice'] }), ext: {} });
      await until(() => got.length >= 3, `three messages over ${transport}`);
      assert.deepEqual(new Set(got), new Set(['to all', 'to you', 'to alice']));

      // The app's status ping counts the client, though it lives on the other node.
      const status = await ask(app, 'status', '1');
      assert.equal(status[1], '1', `status ${JSON.stringify(status)}`);

      await c.stop();
      const close = await app.next('CloseConnection');
      assert.equal(close.connectionId, open.connectionId);
      app.messages.length = 0;
    }
  } finally {
    app.close();
  }
});

test('the app closes a node-2 client (Context.Abort) and joins it to a group; the REST API on node 1 reaches it', { skip, timeout: 60_000 }, async () => {
  const app = await appOn(0);
  try {
    const { c, got, closed } = await clientOn(1, { nameid: 'bob' });
    const open = await opened(app);
    app.send({ kind: 'JoinGroupWithAck', connectionId: open.connectionId, groupName: 'room', ackId: 7, ext: {} });
    const ack = await app.next('Ack');
    assert.equal(ack.status, 1, 'the group join found the client on node 2');
    app.send({ kind: 'GroupBroadcast', groupName: 'room', excludedConnectionIds: [], payloads: json({ type: 1, target: 'm', arguments: ['to room'] }), ext: {}, excludedUserIds: [], callerUserId: null });
    await until(() => got.includes('to room'), 'the group message');
    // The REST API of node 1 (Azure's data-plane API, access-key JWT) reaches the client on node 2.
    const path = `/api/hubs/${HUB}/connections/${open.connectionId}/:send?api-version=2022-11-01`;
    const rest = await fetch(`${endpointOf(0)}${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${await restToken(hostAud(endpointOf(0), path))}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'm', arguments: ['via rest'] }),
    });
    assert.equal(rest.status, 202, await rest.text());
    await until(() => got.includes('via rest'), 'the REST send');
    // The app's own close: its hub Close travels as data, then CloseConnection.
    app.send({ kind: 'ConnectionData', connectionId: open.connectionId, payload: Buffer.from('{"type":7,"error":"aborted by the app"}\u001e'), ext: {} });
    app.send({ kind: 'CloseConnection', connectionId: open.connectionId, errorMessage: 'aborted by the app', headers: new Map(), ext: {} });
    const err = await closed;
    assert.match(String(err?.message), /aborted by the app/);
    await sleep(300);
    assert.equal(app.messages.filter((m) => m.kind === 'CloseConnection').length, 0, 'no CloseConnection back for a client the app closed');
    void c;
  } finally {
    app.close();
  }
});

test('a routed client outlives the nodes\' periodic comparison of the clients they share (no false ends)', { skip, timeout: 60_000 }, async () => {
  const app = await appOn(0);
  try {
    const { c } = await clientOn(1, { nameid: 'gina' });
    await opened(app);
    await sleep(12_000); // more than the 10 s between comparisons
    assert.equal(await c.invoke('echo', 'still routed'), 'still routed');
    assert.equal(app.messages.filter((m) => m.kind === 'CloseConnection').length, 0);
    await c.stop();
  } finally {
    app.close();
  }
});

test('the app\'s pings count the cluster: status 1 for clients on another node served there; servers lists every node\'s app servers', { skip, timeout: 60_000 }, async () => {
  const app1 = await appOn(0, 'app_one');
  const app2 = await appOn(1, 'app_two');
  try {
    const { c } = await clientOn(1, { nameid: 'hal' });
    await opened(app2); // node 2 serves its own client: app one never hears of it
    const status = await ask(app1, 'status', '1');
    assert.equal(status[1], '1', `status ${JSON.stringify(status)}`);
    const servers = await ask(app1, 'servers', '');
    assert.equal(String(servers[1]).split(':')[1], 'app_one;app_two');
    await c.stop();
    await app2.next('CloseConnection');
    assert.equal((await ask(app1, 'status', '1'))[1], '0', 'no clients anywhere');
  } finally {
    app1.close();
    app2.close();
  }
});

test('ServerStickyMode across nodes: a client goes to the app server its token names, on whichever node it is connected to', { skip, timeout: 60_000 }, async () => {
  const a = await appOn(0, 'sticky_a');
  const b = await appOn(1, 'sticky_b');
  try {
    const sticky = (sn: string) => ({ nameid: 'ivy', 'asrs.s.sn': sn, 'asrs.s.ssticky': '1' });
    const toA = await clientOn(1, sticky('sticky_a')); // node 2 has sticky_b, but the token names sticky_a (node 1)
    assert.equal((await opened(a)).connectionId, toA.c.connectionId);
    const toB = await clientOn(1, sticky('sticky_b'));
    assert.equal((await opened(b)).connectionId, toB.c.connectionId);
    const nowhere = await clientOn(1, sticky('not_connected')); // named server gone: any server, the node's own first
    assert.equal((await opened(b)).connectionId, nowhere.c.connectionId);
    assert.equal(a.messages.filter((m) => m.kind === 'OpenConnection').length, 0);
    assert.equal(await toA.c.invoke('echo', 'via node 1'), 'via node 1');
    await Promise.all([toA.c.stop(), toB.c.stop(), nowhere.c.stop()]);
  } finally {
    a.close();
    b.close();
  }
});

test('when the app server on node 1 goes away, its node-2 clients are closed with the reason', { skip, timeout: 60_000 }, async () => {
  const app = await appOn(0);
  const { closed } = await clientOn(1, { nameid: 'carol' });
  await opened(app);
  app.close();
  const err = await closed;
  assert.match(String(err?.message), /The app server connection that served this client was closed/);
});

test('a hub with no app server on any node is refused as on one node', { skip, timeout: 60_000 }, async () => {
  await sleep(LOOKUP_CACHE_MS + 200); // the previous test's route expires from the cache
  await assert.rejects(clientOn(1, { nameid: 'dave' }), /not connected yet/);
});

test('when node 1 stops, its node-2 clients are closed cleanly and new ones are refused', { skip, timeout: 60_000 }, async () => {
  const app = await appOn(0);
  const { closed } = await clientOn(1, { nameid: 'erin' });
  await opened(app);
  await cluster!.stopNode(cluster!.nodes[0]!);
  const err = await closed;
  assert.ok(err, 'closed with an error the client can show');
  app.close();
  await assert.rejects(clientOn(0, { nameid: 'frank' }), /not connected yet/);
});
