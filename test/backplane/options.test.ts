import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log/index.ts';
import { RedisBackplane } from '../../src/backplane/index.ts';
import { redisUnavailable, testRedis } from '../helpers/services.ts';

const log = createLogger({ level: 'silent' });

test('options are checked when the backplane is made', () => {
  const make = (o: Partial<ConstructorParameters<typeof RedisBackplane>[0]>) => new RedisBackplane({ url: 'redis://127.0.0.1:6379', nodeId: 'n1', log, ...o });
  assert.throws(() => make({ nodeId: 'has space' }), /nodeId/);
  assert.throws(() => make({ nodeId: '' }), /nodeId/);
  assert.throws(() => make({ nodeId: 'x'.repeat(65) }), /nodeId/);
  assert.throws(() => make({ url: 'http://127.0.0.1:6379' }), /redis:\/\//);
  assert.throws(() => make({ url: 'not a url' }), /not a valid URL/);
  assert.throws(() => make({ url: 'redis://h:6379?keyPrefix=x' }), /prefix=/);
  assert.throws(() => make({ prefix: 'has space' }), /prefix/);
  assert.throws(() => make({ heartbeatMs: 0 }), /heartbeatMs/);
  assert.throws(() => make({ heartbeatMs: 1000, nodeTtlMs: 1500 }), /nodeTtlMs/, 'a node must survive at least one missed heartbeat');
  assert.throws(() => make({ requestTimeoutMs: 1.5 }), /requestTimeoutMs/);
  assert.throws(() => make({ maxMessageBytes: 10 }), /maxMessageBytes/);
  assert.match(make({ nodeId: 'node-1.example_a' }).nodeId, /^node-1\.example_a~[0-9a-f]{8}$/);
});

test('a prefix can come with the URL; the option wins', { skip: await redisUnavailable() }, async () => {
  const { url, prefix } = testRedis();
  const fromUrl = new RedisBackplane({ url: `${url}?prefix=${encodeURIComponent(prefix)}`, nodeId: 'n', log });
  await fromUrl.connect();
  try {
    assert.deepEqual(await fromUrl.nodes(), [fromUrl.nodeId]);
    const both = new RedisBackplane({ url: `${url}?prefix=elsewhere:`, prefix, nodeId: 'm', log });
    await both.connect();
    assert.deepEqual(new Set(await both.nodes()), new Set([fromUrl.nodeId, both.nodeId]));
    await both.close();
  } finally {
    await fromUrl.close();
  }
});

test('connect fails cleanly when Redis is not there', async () => {
  const bp = new RedisBackplane({ url: 'redis://127.0.0.1:1', nodeId: 'n', log });
  await assert.rejects(bp.connect());
  assert.equal(bp.stats().connected, false);
  await bp.close();
});
