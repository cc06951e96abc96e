import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBackplane } from '../../src/backplane/index.ts';
import { Connection, MessagingCore } from '../../src/messaging/index.ts';
import { Recorder, text } from './cluster-helpers.ts';

test('in process: one node, synchronous registries, delivery stays synchronous', async () => {
  const bp = new InProcessBackplane();
  const core = new MessagingCore({ channel: 'r', backplane: bp, maxConnections: 2 });
  const sink = new Recorder();
  const c = new Connection('c1', 'h', 'u', sink);
  core.register(c);
  assert.deepEqual(await bp.nodes(), ['local']);
  assert.equal(bp.locateConnection('r', 'h', 'c1'), 'local');
  assert.equal(bp.locateConnection('r', 'h', 'nope'), undefined);
  assert.equal(bp.connectionCount('r'), 1);
  // Unknown connection first, then the hub: the hub send is still delivered synchronously.
  core.publish({ type: 'send', hub: 'h', target: { scope: 'connection', connectionId: 'nope' }, content: text('lost') });
  core.publish({ type: 'send', hub: 'H', target: { scope: 'hub' }, content: text('now') });
  assert.deepEqual(sink.texts(), ['now']);
  assert.deepEqual(await bp.requestFrom('elsewhere', 'r', { type: 'listGroup', hub: 'h', group: 'g' }), { results: [], unanswered: ['elsewhere'] });
  core.join(c, 'g');
  assert.equal((await core.request({ type: 'exists', hub: 'h', target: { scope: 'group', group: 'g' } })).matched, 1);
  assert.equal((await core.request({ type: 'exists', hub: 'h', target: { scope: 'user', userId: 'x' } })).matched, 0);
  core.unregister(c);
  assert.equal(bp.connectionCount('r'), 0);
  assert.equal(bp.locateConnection('r', 'h', 'c1'), undefined);
  core.close();
  await bp.close();
});
