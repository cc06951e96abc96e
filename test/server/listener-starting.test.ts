import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openListener } from '../../src/server/listeners.ts';
import { createLogger } from '../../src/log/index.ts';

test('a request that reaches a bound listener before its routes are ready gets 503 and the process goes on', async () => {
  const listener = await openListener({ name: 'starting', host: '127.0.0.1', port: 0, log: createLogger({ level: 'silent' }) });
  try {
    listener.app.get('/ping', async () => 'pong');
    const early = await fetch(`http://127.0.0.1:${listener.port}/ping`);
    assert.equal(early.status, 503);
    assert.equal(early.headers.get('retry-after'), '1');
    assert.equal(((await early.json()) as { error: { code: string } }).error.code, 'ServiceUnavailable');
    const unknown = await fetch(`http://127.0.0.1:${listener.port}/nothing-here`);
    assert.equal(unknown.status, 503, 'no route lookup before ready (this is what used to throw)');
    await listener.app.ready();
    const later = await fetch(`http://127.0.0.1:${listener.port}/ping`);
    assert.equal(later.status, 200);
    assert.equal(await later.text(), 'pong');
  } finally {
    await listener.close();
  }
});
