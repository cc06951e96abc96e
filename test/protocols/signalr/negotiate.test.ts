/** Negotiate response builders: the shapes @microsoft/signalr 10 needs (reference §2.1, §6). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  availableTransports,
  clientUrl,
  negotiateResponse,
  newConnectionIds,
  parseNegotiateVersion,
  redirectResponse,
} from '../../../src/protocols/signalr/index.ts';

test('version 1 carries connectionId and connectionToken; version 0 only connectionId', () => {
  const ids = { connectionId: 'pub', connectionToken: 'secret' };
  const transports = availableTransports();
  assert.deepStrictEqual(negotiateResponse(1, ids, transports), {
    negotiateVersion: 1,
    connectionId: 'pub',
    connectionToken: 'secret',
    availableTransports: [
      { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
      { transport: 'ServerSentEvents', transferFormats: ['Text'] },
      { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
    ],
  });
  const v0 = negotiateResponse(0, ids, transports);
  assert.deepStrictEqual(Object.keys(v0), ['negotiateVersion', 'connectionId', 'availableTransports']);
  assert.ok(!JSON.stringify(v0).includes('useStatefulReconnect'));
  assert.ok(!JSON.stringify(v0).includes('ProtocolVersion'));
});

test('asrs.s.htt filters transports; invalid masks allow all', () => {
  const names = (m?: unknown) => availableTransports(m).map((t) => t.transport);
  assert.deepStrictEqual(names(1), ['WebSockets']);
  assert.deepStrictEqual(names('6'), ['ServerSentEvents', 'LongPolling']);
  assert.deepStrictEqual(names(5), ['WebSockets', 'LongPolling']);
  for (const bad of [undefined, 0, 8, -1, 'x', 1.5, null]) assert.equal(names(bad).length, 3);
  // Each call returns fresh arrays: a caller editing one response cannot change the next.
  availableTransports()[0]!.transferFormats.pop();
  assert.equal(availableTransports()[0]!.transferFormats.length, 2);
});

test('negotiateVersion query: absent → 0, ≥1 → 1, garbage → the ASP.NET error text', () => {
  assert.deepStrictEqual(parseNegotiateVersion(undefined), { ok: true, version: 0 });
  assert.deepStrictEqual(parseNegotiateVersion(null), { ok: true, version: 0 });
  assert.deepStrictEqual(parseNegotiateVersion('0'), { ok: true, version: 0 });
  assert.deepStrictEqual(parseNegotiateVersion('1'), { ok: true, version: 1 });
  assert.deepStrictEqual(parseNegotiateVersion('7'), { ok: true, version: 1 });
  assert.deepStrictEqual(parseNegotiateVersion('abc'), { ok: false, error: "The client requested an invalid protocol version 'abc'" });
  assert.deepStrictEqual(parseNegotiateVersion('-1'), {
    ok: false,
    error: "The client requested version '-1', but the server does not support this version.",
  });
});

test('connection ids are URL-safe, distinct and unguessable-length', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const { connectionId, connectionToken } = newConnectionIds();
    for (const v of [connectionId, connectionToken]) {
      assert.match(v, /^[A-Za-z0-9_-]{22}$/);
      assert.ok(!seen.has(v));
      seen.add(v);
    }
  }
});

test('redirect response: url to /client/?hub=<lowercase hub>, port kept; optional empty transports', () => {
  assert.equal(clientUrl('https://localhost:8443/', 'Chat'), 'https://localhost:8443/client/?hub=chat');
  assert.deepStrictEqual(redirectResponse('https://h:1', 'Chat', 'tok'), { url: 'https://h:1/client/?hub=chat', accessToken: 'tok' });
  assert.deepStrictEqual(redirectResponse('https://h:1', 'c', 't', true), {
    url: 'https://h:1/client/?hub=c',
    accessToken: 't',
    availableTransports: [],
  });
});
