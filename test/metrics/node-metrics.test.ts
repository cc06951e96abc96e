/**
 * The metrics piece on its own: one registry per node, bounded labels, the store wrapper, the
 * upstream observer, the backplane snapshot, and an exposition that parses strictly.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { createNodeMetrics, LatencyRecorder, MAIN_ORIGIN, type BackplaneStats } from '../../src/metrics/index.ts';
import { openMemoryStore, type Store } from '../../src/store/index.ts';
import { parseExposition } from './exposition.ts';

async function scrape(m: ReturnType<typeof createNodeMetrics>) {
  return parseExposition(await m.scrape());
}

test('two nodes in one process keep separate registries, each with its node label on every series', async () => {
  const a = createNodeMetrics({ node: 'node-a' });
  const b = createNodeMetrics({ node: 'node-b' });
  const app = Fastify();
  a.http.instrument(app, 'chat');
  app.get('/items/:id', async () => ({ ok: true }));
  await app.ready();
  for (const id of ['x1', 'x2', 'x3']) assert.equal((await app.inject({ method: 'GET', url: `/items/${id}` })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/no/such/thing-42' })).statusCode, 404);

  const ea = await scrape(a);
  const eb = await scrape(b);
  assert.equal(ea.sum('lapis_rest_requests_total', { resource: 'chat', method: 'GET', status: '2xx', route: '/items/:id' }), 3);
  assert.equal(ea.sum('lapis_rest_requests_total', { resource: 'chat', status: '4xx', route: 'unmatched' }), 1);
  assert.equal(ea.sum('lapis_rest_request_duration_seconds_count', { route: '/items/:id' }), 3);
  assert.equal(eb.sum('lapis_rest_requests_total'), 0, 'the other node saw nothing');
  for (const s of ea.samples) assert.equal(s.labels.node, 'node-a', s.name);
  for (const s of eb.samples) assert.equal(s.labels.node, 'node-b', s.name);
  // Process metrics appear in both, labelled by each node.
  assert.equal(ea.types.get('process_cpu_user_seconds_total'), 'counter');
  assert.ok(eb.find('process_resident_memory_bytes').length === 1 || eb.find('nodejs_heap_size_used_bytes').length === 1);
  // Label values never carry what the client sent.
  assert.ok(!ea.samples.some((s) => Object.values(s.labels).some((v) => /x1|thing-42/.test(v))));
  await app.close();
});

test('the main listeners count under an empty resource label', async () => {
  const m = createNodeMetrics({ node: 'n' });
  const app = Fastify();
  m.http.instrument(app, MAIN_ORIGIN);
  m.registerRoute(app);
  await app.ready();
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  parseExposition(res.body);
  const e = await scrape(m);
  assert.equal(e.sum('lapis_rest_requests_total', { resource: '', route: '/metrics', method: 'GET', status: '2xx' }), 1);
  await app.close();
});

test('connections and messages per resource are read from the resource at scrape time; an untracked resource disappears', async () => {
  const m = createNodeMetrics({ node: 'n' });
  const core = { connectionCount: 2, publishedCount: 5, deliveredCount: 40 };
  const untrackWps = m.resources.track({ name: 'chat', kind: 'webpubsub', core });
  m.resources.track({ name: 'sr', kind: 'signalr', core: { connectionCount: 1, publishedCount: 0, deliveredCount: 0 }, serverConnections: () => 3 });
  let e = await scrape(m);
  assert.equal(e.sum('lapis_connections', { resource: 'chat', kind: 'webpubsub' }), 2);
  assert.equal(e.sum('lapis_connections', { resource: 'sr', kind: 'signalr' }), 1);
  assert.equal(e.sum('lapis_connections', { resource: 'sr', kind: 'signalr_server' }), 3);
  assert.equal(e.sum('lapis_messages_received_total', { resource: 'chat', kind: 'webpubsub' }), 5);
  assert.equal(e.sum('lapis_messages_sent_total', { resource: 'chat', kind: 'webpubsub' }), 40);
  core.connectionCount = 7;
  core.deliveredCount = 47;
  e = await scrape(m);
  assert.equal(e.sum('lapis_connections', { resource: 'chat' }), 7);
  assert.equal(e.sum('lapis_messages_sent_total', { resource: 'chat' }), 47);
  untrackWps();
  e = await scrape(m);
  assert.equal(e.find('lapis_connections', { resource: 'chat' }).length, 0);
  assert.equal(e.find('lapis_messages_sent_total', { resource: 'chat' }).length, 0);
});

test('the instrumented store times every operation and counts failures, inside transactions too', async (t) => {
  const m = createNodeMetrics({ node: 'n' });
  const inner = openMemoryStore();
  t.after(() => inner.close());
  const store = m.store.instrument(inner);
  await store.put('k', 'a', { v: 1 });
  assert.deepEqual(await store.get('k', 'a'), { v: 1 });
  assert.equal((await store.list('k')).length, 1);
  await store.transaction(async (tx) => {
    await tx.put('k', 'b', { v: 2 });
    await tx.delete('k', 'a');
  });
  assert.equal(store.changes, inner.changes, 'the change feed is the store\'s own');
  const failing: Store = Object.create(inner, { get: { value: async () => { throw new Error('database is gone'); } } });
  await assert.rejects(m.store.instrument(failing).get('k', 'b'), /database is gone/);
  const e = await scrape(m);
  assert.equal(e.sum('lapis_store_operation_duration_seconds_count', { op: 'put' }), 2);
  assert.equal(e.sum('lapis_store_operation_duration_seconds_count', { op: 'get' }), 2);
  assert.equal(e.sum('lapis_store_operation_duration_seconds_count', { op: 'transaction' }), 1);
  assert.equal(e.sum('lapis_store_operation_duration_seconds_count', { op: 'delete' }), 1);
  assert.equal(e.sum('lapis_store_errors_total', { op: 'get' }), 1);
  assert.equal(e.sum('lapis_store_errors_total', { op: 'put' }), 0);
});

test('upstream deliveries are counted by result class', async () => {
  const m = createNodeMetrics({ node: 'n' });
  const observe = m.upstream.observer('chat');
  observe(200, 0.01);
  observe(204, 0.02);
  observe(503, 0.5);
  observe('timeout', 100);
  const e = await scrape(m);
  assert.equal(e.sum('lapis_upstream_requests_total', { resource: 'chat', result: '2xx' }), 2);
  assert.equal(e.sum('lapis_upstream_requests_total', { resource: 'chat', result: '5xx' }), 1);
  assert.equal(e.sum('lapis_upstream_requests_total', { resource: 'chat', result: 'timeout' }), 1);
  assert.equal(e.sum('lapis_upstream_request_duration_seconds_count', { resource: 'chat' }), 4);
});

test('backplane numbers come from its stats(): counts, latency histograms from a recorder, link state', async () => {
  const publish = new LatencyRecorder();
  const request = new LatencyRecorder();
  for (const s of [0.0002, 0.003, 0.2, 9]) publish.observe(s);
  request.observe(0.004);
  let stats: BackplaneStats = {
    connected: true, published: 10, received: 7, dropped: 2, malformed: 1, requestTimeouts: 3, reconnects: 1, liveNodes: 3,
    publishLatency: publish.snapshot(), requestLatency: request.snapshot(),
  };
  const m = createNodeMetrics({ node: 'n', backplane: { kind: 'redis', source: { stats: () => stats } } });
  let e = await scrape(m);
  assert.equal(e.sum('lapis_backplane_connected', { kind: 'redis' }), 1);
  assert.equal(e.sum('lapis_backplane_live_nodes', { kind: 'redis' }), 3);
  assert.equal(e.sum('lapis_backplane_published_total', { kind: 'redis' }), 10);
  assert.equal(e.sum('lapis_backplane_received_total', { kind: 'redis' }), 7);
  assert.equal(e.sum('lapis_backplane_dropped_total', { kind: 'redis' }), 2);
  assert.equal(e.sum('lapis_backplane_malformed_total', { kind: 'redis' }), 1);
  assert.equal(e.sum('lapis_backplane_request_timeouts_total', { kind: 'redis' }), 3);
  assert.equal(e.sum('lapis_backplane_request_errors_total', { kind: 'redis' }), 0, 'a count the backplane does not keep reads 0');
  assert.equal(e.sum('lapis_backplane_reconnects_total', { kind: 'redis' }), 1);
  assert.equal(e.sum('lapis_backplane_publish_duration_seconds_count'), 4);
  assert.equal(e.sum('lapis_backplane_publish_duration_seconds_bucket', { le: '0.0005' }), 1);
  assert.equal(e.sum('lapis_backplane_publish_duration_seconds_bucket', { le: '0.25' }), 3);
  assert.equal(e.sum('lapis_backplane_publish_duration_seconds_bucket', { le: '+Inf' }), 4);
  assert.equal(e.sum('lapis_backplane_request_duration_seconds_count'), 1);
  stats = { ...stats, connected: false };
  e = await scrape(m);
  assert.equal(e.sum('lapis_backplane_connected', { kind: 'redis' }), 0);
  m.backplane.setSource('redis', { stats: () => { throw new Error('boom'); } });
  e = await scrape(m);
  assert.equal(e.sum('lapis_backplane_connected', { kind: 'redis' }), 0, 'a stats() that throws reads as disconnected');
  assert.equal(m.backplane.read().stats.lastError, 'boom');
});

test('without a backplane attached, metrics say so: disconnected, kind unknown, empty histograms', async () => {
  const m = createNodeMetrics({ node: 'n' });
  const e = await scrape(m);
  assert.equal(e.sum('lapis_backplane_connected', { kind: 'unknown' }), 0);
  assert.equal(e.sum('lapis_backplane_request_duration_seconds_count', { kind: 'unknown' }), 0);
  assert.ok(e.find('lapis_backplane_request_duration_seconds_bucket').length > 1);
});
