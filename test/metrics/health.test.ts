/**
 * The node health document: 200 when the store and the backplane answer, 503 "degraded" when a
 * probe throws or does not answer within its deadline (health itself never hangs).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { NodeHealth, type HealthReport } from '../../src/metrics/index.ts';

const inProcess = { kind: () => 'in-process', probe: async () => {} };

async function serve(health: NodeHealth) {
  const app = Fastify();
  health.register(app);
  await app.ready();
  return app;
}

test('ok: 200 with the node, the store\'s and the backplane\'s state', async () => {
  const app = await serve(new NodeHealth({ node: 'n1', probeStore: async () => undefined, backplane: inProcess }));
  const res = await app.inject({ method: 'GET', url: '/api/health' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'no-store');
  const body = res.json() as HealthReport;
  assert.equal(body.status, 'ok');
  assert.equal(body.node, 'n1');
  assert.equal(body.store.reachable, true);
  assert.equal(typeof body.store.latencyMs, 'number');
  assert.equal(body.store.error, undefined);
  assert.deepEqual({ kind: body.backplane.kind, reachable: body.backplane.reachable }, { kind: 'in-process', reachable: true });
  assert.equal((await app.inject({ method: 'HEAD', url: '/api/health' })).statusCode, 200);
  await app.close();
});

test('a store whose probe throws: 503 degraded with the error', async () => {
  const app = await serve(new NodeHealth({ node: 'n1', probeStore: async () => { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }); }, backplane: inProcess }));
  const res = await app.inject({ method: 'GET', url: '/api/health' });
  assert.equal(res.statusCode, 503);
  const body = res.json() as HealthReport;
  assert.equal(body.status, 'degraded');
  assert.equal(body.store.reachable, false);
  assert.match(body.store.error ?? '', /^ECONNREFUSED: connect ECONNREFUSED/);
  assert.equal(body.backplane.reachable, true);
  assert.equal((await app.inject({ method: 'HEAD', url: '/api/health' })).statusCode, 503);
  await app.close();
});

test('a probe that throws synchronously, and a backplane that never answers, are failures, not hangs', async () => {
  const health = new NodeHealth({
    node: 'n1', timeoutMs: 50,
    probeStore: () => { throw new Error('sync failure'); },
    backplane: { kind: () => 'redis', probe: () => new Promise(() => {}) },
  });
  const report = await health.check();
  assert.equal(report.status, 'degraded');
  assert.equal(report.store.error, 'sync failure');
  assert.equal(report.backplane.kind, 'redis');
  assert.equal(report.backplane.reachable, false);
  assert.match(report.backplane.error ?? '', /no answer within 50 ms/);
});

test('concurrent health requests share one probe run', async () => {
  let probes = 0;
  const health = new NodeHealth({ node: 'n1', probeStore: async () => { probes++; await new Promise((r) => setTimeout(r, 10)); }, backplane: inProcess });
  const reports = await Promise.all(Array.from({ length: 20 }, () => health.check()));
  assert.equal(probes, 1);
  assert.ok(reports.every((r) => r.status === 'ok'));
  await health.check();
  assert.equal(probes, 2, 'a later request probes again');
});
