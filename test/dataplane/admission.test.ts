/**
 * Upgrades waiting on a slow `connect` event handler count against the connection limit and are
 * bounded per resource: the next one is refused with 429 before the handler is called.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start, rawClient, until } from './helpers.ts';
import type { ClientEventHooks, ConnectResponse } from '../../src/protocols/webpubsub/index.ts';

const JSON_P = 'json.webpubsub.azure.v1';

/** A connect handler that holds every call until released. */
function slowConnect() {
  const waiting: Array<(r: ConnectResponse | undefined) => void> = [];
  let calls = 0;
  const events: ClientEventHooks = {
    connect: () => {
      calls++;
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
  return { events, waiting, calls: () => calls, releaseAll: () => { for (const w of waiting.splice(0)) w(undefined); } };
}

test('waiting upgrades hold connection slots: the one past the limit gets 429 without calling the handler', async (t) => {
  const slow = slowConnect();
  const h = await start({ limits: { maxConnections: 3 }, events: slow.events });
  t.after(() => h.close());
  const url = async () => (await h.client('hub').getClientAccessToken({ userId: 'u' })).url;
  const pending = [rawClient(await url(), JSON_P), rawClient(await url(), JSON_P), rawClient(await url(), JSON_P)];
  await until(() => slow.calls() === 3);
  await assert.rejects(rawClient(await url(), JSON_P), (e: { status?: number; body?: string; headers?: Record<string, string> }) => {
    assert.equal(e.status, 429);
    assert.match(e.body ?? '', /connection limit of 3/);
    assert.equal(e.headers?.['x-ms-error-code'], 'Error.ConnectionLimitReached');
    return true;
  });
  assert.equal(slow.calls(), 3, 'the refused upgrade never reached the handler');
  slow.releaseAll();
  const clients = await Promise.all(pending);
  for (const c of clients) assert.equal((await c.next()).event, 'connected');
  // Still full: open connections now hold the slots.
  await assert.rejects(rawClient(await url(), JSON_P), (e: { status?: number }) => e.status === 429);
  clients[0]!.ws.close();
  await until(() => h.service.core.connectionCount === 2);
  const again = rawClient(await url(), JSON_P);
  await until(() => slow.calls() === 4);
  slow.releaseAll();
  (await again).ws.close();
  for (const c of clients.slice(1)) c.ws.close();
});

test('waiting upgrades are bounded per resource even without a connection limit', async (t) => {
  const slow = slowConnect();
  const h = await start({ limits: { maxPendingUpgrades: 2 }, events: slow.events });
  t.after(() => h.close());
  const url = async () => (await h.client('hub').getClientAccessToken({ userId: 'u' })).url;
  const pending = [rawClient(await url(), JSON_P), rawClient(await url(), JSON_P)];
  await until(() => slow.calls() === 2);
  await assert.rejects(rawClient(await url(), JSON_P), (e: { status?: number; body?: string; headers?: Record<string, string> }) => {
    assert.equal(e.status, 429);
    assert.match(e.body ?? '', /waiting for their handshake/);
    assert.equal(e.headers?.['x-ms-error-code'], 'Error.TooManyPendingConnections');
    return true;
  });
  assert.equal(slow.calls(), 2);
  slow.releaseAll();
  for (const c of await Promise.all(pending)) c.ws.close();
  // Slots are given back on refusal too: a refusing handler does not leak them.
  const refusing = await start({ limits: { maxPendingUpgrades: 1 }, events: { connect: async () => { throw Object.assign(new Error('no'), {}); } } });
  t.after(() => refusing.close());
  for (let i = 0; i < 3; i++) {
    const u = (await refusing.client('hub').getClientAccessToken({ userId: 'u' })).url;
    await assert.rejects(rawClient(u, JSON_P), (e: { status?: number }) => e.status === 500);
  }
});
