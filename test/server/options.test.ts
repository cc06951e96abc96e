import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionError, offsetPort, resolveStartOptions } from '../../src/server/options.ts';
import { basePort, bindPort, clientOrigin } from '../../src/server/service-origins.ts';

const refused = (flags: Parameters<typeof resolveStartOptions>[0], pattern: RegExp, env: NodeJS.ProcessEnv = {}) =>
  assert.throws(() => resolveStartOptions(flags, env), (e: unknown) => e instanceof OptionError && pattern.test(e.message));

test('cluster flags: a store needs a backplane and the reverse; URLs are checked, never echoed with credentials', () => {
  const both = resolveStartOptions({ store: 'postgresql://lapis:pw@db:5432/lapis', backplane: 'redis://cache:6379', nodeName: 'n1', portOffset: '100' }, {});
  assert.equal(both.store, 'postgresql://lapis:pw@db:5432/lapis');
  assert.equal(both.backplane, 'redis://cache:6379');
  assert.equal(both.nodeName, 'n1');
  assert.equal(both.portOffset, 100);
  refused({ store: 'postgresql://db/lapis' }, /needs --backplane/);
  refused({ backplane: 'redis://cache' }, /needs --store/);
  refused({ store: 'mysql://db/lapis', backplane: 'redis://cache' }, /--store \/ LAPIS_STORE must be a URL like postgresql:/);
  refused({ store: 'postgresql://db/lapis', backplane: 'http://cache' }, /--backplane \/ LAPIS_BACKPLANE must be a URL like redis:/);
  refused({ store: `postgresql://db/${'x'.repeat(3000)}`, backplane: 'redis://cache' }, /at most 2048/);
  assert.throws(() => resolveStartOptions({ store: 'postgresql://u:secret@db/x' }, {}), (e: unknown) => !(e as Error).message.includes('secret'));
  const fromEnv = resolveStartOptions({}, { LAPIS_STORE: 'postgres://db/lapis', LAPIS_BACKPLANE: 'rediss://cache:6380', LAPIS_NODE_NAME: 'env-node', LAPIS_PORT_OFFSET: '7' });
  assert.equal(fromEnv.store, 'postgres://db/lapis');
  assert.equal(fromEnv.nodeName, 'env-node');
  assert.equal(fromEnv.portOffset, 7);
});

test('node name, port offset and public URL are validated', () => {
  refused({ nodeName: 'bad name' }, /--node-name/);
  refused({ nodeName: 'x'.repeat(64) }, /--node-name/);
  refused({ portOffset: '-1' }, /--port-offset/);
  refused({ portOffset: '60001' }, /--port-offset/);
  refused({ httpsPort: '65000', portOffset: '1000' }, /above 65535/);
  refused({ publicUrl: 'http://lb.example.com' }, /--public-url/);
  refused({ publicUrl: 'https://lb.example.com/path' }, /--public-url/);
  refused({ publicUrl: 'https://user:pw@lb.example.com' }, /--public-url/);
  assert.equal(resolveStartOptions({ publicUrl: 'https://lb.example.com:9443/' }, {}).publicUrl, 'https://lb.example.com:9443');
  assert.match(resolveStartOptions({}, {}).nodeName!, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'defaults to a sanitised host name');
  assert.equal(resolveStartOptions({}, {}).portOffset, 0);
});

test('ports: the offset is added to every fixed port; 0 stays "any free port"; stored ports are base ports', () => {
  assert.equal(offsetPort(8443, 100), 8543);
  assert.equal(offsetPort(0, 100), 0);
  const site = { portOffset: 100 };
  assert.equal(bindPort(site, 9001), 9101);
  assert.equal(bindPort(site, undefined), 0);
  assert.equal(basePort(site, 9101), 9001);
  assert.equal(clientOrigin(site, 'https', 9101), 'https://localhost:9101');
  assert.equal(clientOrigin({ portOffset: 100, publicHost: 'lb.example.com' }, 'https', 9101), 'https://lb.example.com:9001');
});
