/**
 * Hostile or broken upstreams (never answering, 5xx, connection reset, oversized answers) cost
 * only the connections whose requests go there: another connection's invocation is answered
 * while they hang; each waiting client gets an error Completion; per-connection queues are bounded
 * and emptied once the connection is gone.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { sleep, startHarness, until } from './support.ts';
import type { Harness } from './support.ts';
import { startSignalRServerless, startUpstreamApp } from './signalr-support.ts';
import type { SeenRequest, UpstreamApp } from './signalr-support.ts';

let h: Harness;
let fast: UpstreamApp;
let hostile: UpstreamApp;
/** Held responses of the hostile app's 'hang' event (released at the end). */
const held: ServerResponse[] = [];

function misbehave(q: SeenRequest, res: ServerResponse, raw: import('node:http').IncomingMessage): void {
  if (q.headers['x-asrs-category'] !== 'messages') { res.writeHead(200).end(); return; }
  switch (q.headers['x-asrs-event']) {
    case 'hang': held.push(res); return;
    case 'unavailable': res.writeHead(503).end(); return;
    case 'reset': raw.socket.destroy(); return;
    case 'huge': res.writeHead(200).end(Buffer.alloc(4096, 0x61)); return;
    default: res.writeHead(204).end();
  }
}

before(async () => {
  h = await startHarness();
  fast = await startUpstreamApp();
  hostile = await startUpstreamApp(misbehave);
});
after(async () => {
  for (const r of held) r.destroy();
  await fast.close();
  await hostile.close();
  await h.close();
});

test('a hanging, failing or resetting upstream does not hold up other connections; each waiting client gets an error', async (t) => {
  const s = await startSignalRServerless(h, {
    timing: { requestTimeoutMs: 1500, retryDelaysMs: [20, 40] },
    limits: { maxResponseBytes: 1024 },
  });
  t.after(() => s.stop());
  s.templates.push({ urlTemplate: `${hostile.url}/{event}`, hubPattern: 'bad' }, { urlTemplate: `${fast.url}/{hub}/{event}` });
  const bad = await s.connect('mallory', { hub: 'Bad' });
  const bad2 = await s.connect('mallory', { hub: 'Bad', protocol: 'messagepack' });
  const good = await s.connect('grace', { protocol: 'messagepack' });

  // Both are awaited further down, their rejections handled from now on: on a busy machine the
  // steps in between can outlast the 20 + 40 ms of retries (or the 1.5 s deadline), and an
  // unhandled rejection would fail the test.
  const hanging = assert.rejects(bad.invoke('hang'), /Invocation failed, the upstream did not answer in time\./);
  const unavailable = assert.rejects(bad2.invoke('unavailable'), /Invocation failed, status code 503/);
  await until(() => held.length === 1, 5000, 'the hanging request arrived');
  // While bad's request hangs and bad2's is being retried, good's invocations are answered.
  for (let i = 0; i < 5; i++) assert.equal(await good.invoke('echo', i), undefined);
  assert.equal(fast.requests.filter((q) => q.headers['x-asrs-event'] === 'echo').length, 5);

  await unavailable;
  assert.equal(hostile.requests.filter((q) => q.headers['x-asrs-event'] === 'unavailable').length, 3, 'retried twice, then reported');
  await assert.rejects(bad2.invoke('reset'), /Invocation failed, the upstream could not be reached\./);
  await assert.rejects(bad2.invoke('huge'), /Invocation failed, the upstream response is too large\./);
  await hanging;
  // The connections that met those upstreams still work.
  assert.equal(await bad.invoke('fine'), undefined);
  assert.equal(await bad2.invoke('fine'), undefined);
});

test('one connection\'s queue is bounded: past it invocations fail at once; a gone connection leaves no state', async (t) => {
  held.length = 0;
  const s = await startSignalRServerless(h, { maxPendingPerConnection: 2, timing: { requestTimeoutMs: 60_000, retryDelaysMs: [] } });
  t.after(() => s.stop());
  // Messages only: a connected event in the lane would count against the bound too.
  s.templates.push({ urlTemplate: `${hostile.url}/{event}`, categoryPattern: 'messages' });
  const c = await s.connect('nina');
  const first = c.invoke('hang').catch((e: Error) => e.message);
  const second = c.invoke('queued').catch((e: Error) => e.message);
  await until(() => held.length === 1, 5000, 'the first request hangs');
  await assert.rejects(c.invoke('third'), /too many invocations of this connection are waiting/);
  assert.equal(s.upstream.pendingConnections, 1);
  await c.stop();
  assert.match(await first, /closed|Invocation canceled/i);
  await second;
  held.shift()!.writeHead(204).end();
  await until(() => s.upstream.pendingConnections === 0, 5000, 'the lane is dropped once drained');
  const events = hostile.requests.filter((q) => q.headers['x-asrs-category'] === 'messages' && ['hang', 'queued', 'third'].includes(String(q.headers['x-asrs-event'])));
  assert.deepEqual(events.slice(-2).map((q) => q.headers['x-asrs-event']), ['hang', 'queued'], 'the queued invocation was sent after the first finished, in order; the refused one never');
  await sleep(20);
});
