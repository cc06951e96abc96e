/**
 * The cluster relay's messages (SignalR default mode across nodes) as the backplane carries them:
 * every operation round-trips through a `send` command the Redis codec accepts; what another node
 * sends is validated (shape, sizes) and a bad message is answered with a reason, never a throw.
 * The cross-node behaviour itself is in test/cluster/signalr-default-*.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { InProcessBackplane, type Backplane, type BackplaneNode } from '../../../src/backplane/index.ts';
import { decodeEnvelope, encodeEnvelope } from '../../../src/backplane/redis/codec.ts';
import type { ClusterCommand } from '../../../src/messaging/index.ts';
import { decodeRelay, encodeRelay, lookupCommand, type RelayMessage } from '../../../src/dataplane/signalr/server/remote-messages.ts';
import { ClusterRelay, ROUTE_LOST_TEXT, type ClusterRelayHost } from '../../../src/dataplane/signalr/server/remote-relay.ts';

const open: RelayMessage = {
  op: 'open', hub: 'chat', connectionId: 'c-1', data: Buffer.from('{"protocol":"json","version":1}\u001e'),
  meta: { node: 'node-2~abcd', protocol: 'json', userId: 'alice', claims: { nameid: 'alice', role: ['a', 'b'] }, headers: { 'user-agent': ['x'] }, query: '?hub=chat', transport: 'WebSockets' },
};
const all: RelayMessage[] = [
  open,
  { op: 'data', hub: 'chat', connectionId: 'c-1', data: Buffer.from([1, 2, 3]) },
  { op: 'ended', hub: 'chat', connectionId: 'c-1', meta: { error: 'gone' } },
  { op: 'app', hub: 'chat', connectionId: 'c-1', data: Buffer.from('{}\u001e') },
  { op: 'close', hub: 'chat', connectionId: 'c-1', meta: { error: 'server gone', allowReconnect: true } },
  { op: 'closeByApp', hub: 'chat', connectionId: 'c-1', meta: {} },
  { op: 'check', hub: '-', connectionId: '-', meta: { node: 'node-1~0000' }, data: Buffer.from('c-1\nc-2') },
];

test('every relay message survives the Redis codec unchanged', () => {
  for (const m of all) {
    const bytes = encodeEnvelope({ k: 'p2p', from: 'node-1~0000', ch: 'res#signalr-relay', cmd: encodeRelay(m) });
    const decoded = decodeEnvelope(bytes, 8 * 1024 * 1024);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    const back = decodeRelay((decoded.envelope as { cmd: ClusterCommand }).cmd);
    assert.ok(back.ok, back.ok ? '' : back.reason);
    assert.deepEqual(back.message, m);
  }
  const lookup = decodeEnvelope(encodeEnvelope({ k: 'req', from: 'n~1', ch: 'x', id: 1, cmd: lookupCommand('chat') }), 1024);
  assert.ok(lookup.ok);
});

test('what is not a relay message is refused with a reason', () => {
  const bytes = (parts: Record<string, Buffer>): ClusterCommand => ({ type: 'send', hub: 'chat', target: { scope: 'connection', connectionId: 'c' }, content: { kind: 'encoded', bytes: parts } });
  const cases: Array<[ClusterCommand, RegExp]> = [
    [{ type: 'send', hub: 'chat', target: { scope: 'hub' }, content: { kind: 'encoded', bytes: {} } }, /not a relay message/],
    [{ type: 'exists', hub: 'chat', target: { scope: 'hub' } }, /not a relay message/],
    [bytes({ op: Buffer.from('teleport') }), /unknown relay operation/],
    [bytes({ op: Buffer.from('open'), meta: Buffer.from('{not json') }), /not JSON/],
    [bytes({ op: Buffer.from('open'), meta: Buffer.alloc(300 * 1024, 0x20) }), /too large/],
    [bytes({ op: Buffer.from('open'), meta: Buffer.from(JSON.stringify(open.meta)) }), /bad open/], // no handshake bytes
    [bytes({ op: Buffer.from('open'), meta: Buffer.from(JSON.stringify({ ...open.meta, protocol: 'xml' })), data: Buffer.from('x') }), /bad open/],
    [bytes({ op: Buffer.from('data') }), /bad data/],
    [bytes({ op: Buffer.from('close'), meta: Buffer.from('{"error":5}') }), /bad close/],
  ];
  for (const [command, reason] of cases) {
    const r = decodeRelay(command);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, reason);
  }
});

test('a node answers a malformed relay message with a reason and carries on; a lookup names its app servers', () => {
  const host: ClusterRelayHost = {
    serveRemote: () => undefined, data: () => {}, ended: () => {}, client: () => undefined,
    carryingServerIds: (hub) => (hub === 'chat' ? ['app-1', 'app-2'] : []),
  };
  const relay = new ClusterRelay({ backplane: new InProcessBackplane(), channel: 'res', log: pino({ level: 'silent' }), host });
  try {
    const bad = relay.apply({ type: 'send', hub: 'chat', target: { scope: 'connection', connectionId: 'c' }, content: { kind: 'encoded', bytes: { op: Buffer.from('open') } } });
    assert.equal(bad.matched, 0);
    assert.match(bad.error ?? '', /could not read the client's open request/);
    assert.deepEqual(relay.apply(lookupCommand('chat')).members, [{ connectionId: 'local', userId: 'app-1' }, { connectionId: 'local', userId: 'app-2' }]);
    assert.deepEqual(relay.apply(lookupCommand('other')), { matched: 0 });
    // Data or an end for a client nobody serves is ignored.
    assert.equal(relay.apply(encodeRelay(all[1]!)).matched, 0);
    assert.equal(relay.apply(encodeRelay(all[3]!)).matched, 0);
  } finally {
    relay.close();
  }
});

/** Two relays wired through a fake backplane: point-to-point commands are applied on the addressed relay at once. */
function fakeBackplane(net: Map<string, BackplaneNode>, nodeId: string): Backplane {
  return {
    nodeId,
    join: (_ch, node) => { net.set(nodeId, node); return () => void net.delete(nodeId); },
    publish: () => {},
    request: async (_ch, cmd) => ({ results: [...net.values()].map((n) => n.apply(cmd)), unanswered: [] }),
    nodes: async () => [...net.keys()],
    sendTo: (node, _ch, cmd) => void net.get(node)?.apply(cmd),
    requestFrom: async (node, _ch, cmd) => { const n = net.get(node); return n ? { results: [n.apply(cmd)], unanswered: [] } : { results: [], unanswered: [node] }; },
    connectionAdded: () => {}, connectionRemoved: () => {}, groupJoined: () => {}, groupLeft: () => {},
    locateConnection: () => undefined, hasMembers: async () => undefined, connectionCount: () => 0, close: async () => {},
  };
}

test('reconciliation: a client the other node no longer knows (its end was lost) is ended; an unreachable peer ends nothing', async () => {
  const net = new Map<string, BackplaneNode>();
  const ended: Array<[string, string | undefined]> = [];
  const host: ClusterRelayHost = {
    serveRemote: () => undefined, data: () => {}, ended: (r, e) => void ended.push([r.connectionId, e]), client: () => undefined, carryingServerIds: () => ['app-1'],
  };
  const log = pino({ level: 'silent' });
  const serving = new ClusterRelay({ backplane: fakeBackplane(net, 'A'), channel: 'res', log, host });
  const clientSide = new ClusterRelay({ backplane: fakeBackplane(net, 'B'), channel: 'res', log, host: { ...host, carryingServerIds: () => [] } });
  try {
    // B's open reached A, but B's later `ended` was lost: A still serves the client.
    assert.equal(serving.apply(encodeRelay({ ...open, meta: { ...open.meta, node: 'B' } } as RelayMessage)).matched, 1);
    assert.equal(serving.counts.served, 1);
    await serving.reconcile(new Set(['A'])); // B not live: not asked (the liveness check ends it instead)
    assert.deepEqual(ended, []);
    net.delete('B');
    await serving.reconcile(new Set(['A', 'B'])); // B unreachable: asked, no answer, nothing ended
    assert.deepEqual(ended, []);
    net.set('B', clientSide);
    await serving.reconcile(new Set(['A', 'B']));
    assert.deepEqual(ended, [['c-1', ROUTE_LOST_TEXT]]);
    assert.equal(serving.counts.served, 1, 'AppServers (the host) forgets it through ended/forget');
  } finally {
    serving.close();
    clientSide.close();
  }
});
