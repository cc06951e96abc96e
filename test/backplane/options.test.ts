import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log/index.ts';
import { RedisBackplane, RedisBackplaneError } from '../../src/backplane/index.ts';
import { redisUnavailable, testRedis } from '../helpers/services.ts';

const log = createLogger({ level: 'silent' });

test('options are checked when the backplane is made', () => {
  const make = (o: Partial<ConstructorParameters<typeof RedisBackplane>[0]>) => new RedisBackplane({ url: 'redis://127.0.0.1:6379', nodeId: 'n1', log, ...o });
  const refused = (o: Parameters<typeof make>[0], code: string, message: RegExp) =>
    assert.throws(() => make(o), (e: unknown) => e instanceof RedisBackplaneError && e.code === code && message.test(e.message));
  refused({ nodeId: 'has space' }, 'BackplaneOptionInvalid', /node name/);
  refused({ nodeId: '' }, 'BackplaneOptionInvalid', /node name/);
  refused({ nodeId: 'x'.repeat(65) }, 'BackplaneOptionInvalid', /node name/);
  refused({ url: 'http://127.0.0.1:6379' }, 'BackplaneUrlInvalid', /redis:\/\//);
  refused({ url: 'not a url' }, 'BackplaneUrlInvalid', /not a valid URL/);
  refused({ url: `redis://h:6379/?x=${'a'.repeat(2048)}` }, 'BackplaneUrlInvalid', /longer than 2048/);
  refused({ url: 'redis://h:6379?keyPrefix=x' }, 'BackplaneUrlInvalid', /prefix=/);
  refused({ prefix: 'has space' }, 'BackplaneUrlInvalid', /prefix/);
  refused({ heartbeatMs: 0 }, 'BackplaneOptionInvalid', /heartbeatMs/);
  refused({ heartbeatMs: 1000, nodeTtlMs: 1500 }, 'BackplaneOptionInvalid', /nodeTtlMs/); // a node must survive one missed heartbeat
  refused({ requestTimeoutMs: 1.5 }, 'BackplaneOptionInvalid', /requestTimeoutMs/);
  refused({ maxMessageBytes: 10 }, 'BackplaneOptionInvalid', /maxMessageBytes/);
  assert.match(make({ nodeId: 'node-1.example_a' }).nodeId, /^node-1\.example_a~[0-9a-f]{8}$/);
});

test('a prefix can come with the URL; the option wins', { skip: await redisUnavailable() }, async () => {
  const { url, prefix } = testRedis();
  const fromUrl = new RedisBackplane({ url: `${url}?prefix=${encodeURIComponent(prefix)}`, nodeId: 'n', log });
  await fromUrl.connect();
  try {
    assert.deepEqual(await fromUrl.nodes(), [fromUrl.nodeId]);
    assert.deepEqual(fromUrl.location, { url: new URL(url).toString(), prefix });
    const both = new RedisBackplane({ url: `${url}?prefix=elsewhere:`, prefix, nodeId: 'm', log });
    await both.connect();
    assert.deepEqual(new Set(await both.nodes()), new Set([fromUrl.nodeId, both.nodeId]));
    await both.close();
  } finally {
    await fromUrl.close();
  }
});

test('connect fails cleanly when Redis is not there', async () => {
  const bp = new RedisBackplane({ url: 'redis://user:s3cret@127.0.0.1:1', nodeId: 'n', log });
  await assert.rejects(bp.connect(), (e: unknown) => e instanceof RedisBackplaneError && e.code === 'BackplaneUnreachable' && !e.message.includes('s3cret') && e.message.includes('***'));
  assert.equal(bp.stats().connected, false);
  await bp.close();
});
