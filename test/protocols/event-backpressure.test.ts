/**
 * User events wait for the event handler one after the other; a client that sends faster than
 * the handler answers stops being read (backpressure) instead of growing a queue without bound,
 * and every event is still handled, in order, once the handler catches up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start, rawClient, until, sleep } from '../dataplane/helpers.ts';
import type { ClientEventHooks } from '../../src/protocols/webpubsub/index.ts';
import { MAX_QUEUED_EVENTS } from '../../src/protocols/webpubsub/session.ts';

function slowHandler() {
  let release: () => void = () => {};
  const opened = new Promise<void>((r) => (release = r));
  const seen: string[] = [];
  let read = 0;
  const events: ClientEventHooks = {
    // A plain client's frame is checked against this when it is read: it counts frames read.
    hasUserEventHandler: () => { read++; return true; },
    userEvent: async (_ctx, _event, payload) => {
      await opened;
      seen.push(payload.data.toString().slice(0, 8));
      return undefined;
    },
  };
  return { events, release: () => release(), seen, read: () => read };
}

test('plain client: a flood against a slow handler is read only as fast as the handler answers', async (t) => {
  const slow = slowHandler();
  const h = await start({ events: slow.events });
  t.after(() => h.close());
  const c = await rawClient((await h.client('hub').getClientAccessToken({ userId: 'flood' })).url);
  const total = 3000;
  const pad = 'x'.repeat(8 * 1024); // big frames, so socket buffers cannot absorb the whole flood
  for (let i = 0; i < total; i++) c.ws.send(`${String(i).padStart(8, '0')}${pad}`);
  await until(() => slow.read() >= MAX_QUEUED_EVENTS);
  await sleep(300);
  assert.ok(slow.read() < total / 2, `read ${slow.read()} of ${total} frames while the handler was blocked`);
  slow.release();
  await until(() => slow.seen.length === total, 30_000);
  assert.deepEqual(slow.seen, Array.from({ length: total }, (_, i) => String(i).padStart(8, '0')));
  c.ws.close();
});

test('JSON client: every queued event is acked, in order, once the handler answers', async (t) => {
  const slow = slowHandler();
  const h = await start({ events: slow.events });
  t.after(() => h.close());
  const c = await rawClient((await h.client('hub').getClientAccessToken({ userId: 'flood' })).url, 'json.webpubsub.azure.v1');
  await c.next();
  const total = 500;
  for (let i = 1; i <= total; i++) c.send({ type: 'event', event: 'evt', dataType: 'text', data: String(i).padStart(8, '0'), ackId: i });
  await sleep(200);
  assert.equal(c.messages.filter((m: any) => m.type === 'ack').length, 0);
  slow.release();
  await until(() => c.messages.filter((m: any) => m.type === 'ack').length === total, 20_000);
  assert.deepEqual(c.messages.filter((m: any) => m.type === 'ack').map((m: any) => m.ackId), Array.from({ length: total }, (_, i) => i + 1));
  c.ws.close();
});
