/**
 * fast-check over the SignalR client endpoint of a full Lapis: random negotiate requests (query,
 * headers, bodies) and random message sequences on WebSockets after a valid handshake (JSON and
 * MessagePack). Property: every input gets an HTTP answer, or the answer a hub peer gets (a
 * Completion for the probe invocation sent after the inputs) or a close of that one peer; the
 * process keeps serving (/api/health and official witness clients, at the end of each property).
 * Runs are bounded (numRuns) so the file stays fast; a failure prints its seed to replay.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { isCompletionOf, jsonFrames, msgpackFrames } from './signalr-arbitraries.ts';
import { handshakeText, openPeer, varintFrame, type HubPeer } from './signalr-peer.ts';
import { RS, startHostileWorld, type HostileWorld } from './signalr-hostile.ts';

let w: HostileWorld;
let valid = '';
before(async () => {
  w = await startHostileWorld();
  valid = await w.token(w.origins.sig, { scheme: 'http', user: 'fuzz' });
});
after(async () => { await w?.stop(); });

const sometimes = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: usual, weight: 5 }, { arbitrary: odd, weight: 1 });

test('fuzz: negotiate with random queries, headers and bodies gets a status (never 5xx); 200s are well-formed', async () => {
  const param = (name: string, usual: fc.Arbitrary<string>) => fc.option(sometimes(usual, fc.string({ maxLength: 300 })).map((v) => `${name}=${encodeURIComponent(String(v))}`), { nil: undefined });
  const query = fc.tuple(
    param('hub', fc.constantFrom('chat', 'Chat', 'CHAT', 'other', 'a'.repeat(129), 'app_chat', '9chat', 'chat%00', '')),
    param('negotiateVersion', fc.constantFrom('0', '1', '2', '-1', '1.5', 'abc', '99999999999999999999')),
    param('access_token', fc.constant(valid)),
    fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 50 })).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`), { maxLength: 3 }),
    fc.constantFrom('', '&hub=other', '&hub=chat', '&useStatefulReconnect=true'),
  ).map(([hub, version, token, extra, dup]) => [hub, version, token, ...extra].filter((x) => x !== undefined).join('&') + dup);
  const headers = fc.record({
    authorization: fc.option(fc.oneof(fc.constant(`Bearer ${valid}`), fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }).map((s) => `Bearer ${s}`),
      fc.constant(`Bearer ${valid}x`), fc.constant(`bearer  ${valid} `), fc.constant(`Basic ${valid}`)), { nil: undefined }),
    origin: fc.option(fc.oneof(fc.constant('https://example.com'), fc.string({ maxLength: 50 })), { nil: undefined }),
    'content-type': fc.option(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'x/y; charset=nope'), { nil: undefined }),
    'x-signalr-user-agent': fc.option(fc.string({ maxLength: 100 }), { nil: undefined }),
  }, { requiredKeys: [] });
  const body = fc.option(fc.oneof(fc.string({ maxLength: 2000 }), fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b))), { nil: undefined });
  const method = fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS');

  await fc.assert(fc.asyncProperty(method, query, headers, body, async (m, q, h, b) => {
    const clean = Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>;
    let res: Response;
    try {
      res = await fetch(`${w.origins.sig.httpEndpoint}/client/negotiate?${q}`, { method: m, headers: clean, body: m === 'GET' ? undefined : b });
    } catch (err) {
      // undici refuses some header values itself (never reaching Lapis): not a server answer to judge.
      if (/header|invalid/i.test(String((err as Error).cause ?? err))) return;
      throw err;
    }
    const text = await res.text();
    assert.ok([200, 204, 400, 401, 403, 404, 405, 429].includes(res.status), `${m} ?${q} ${JSON.stringify(clean)} → ${res.status} ${text.slice(0, 200)}`);
    if (res.status === 200 && m === 'POST') {
      const n = JSON.parse(text);
      if (n.error === undefined) {
        assert.match(n.connectionId, /^[A-Za-z0-9_-]{22}$/);
        assert.ok(Array.isArray(n.availableTransports) && n.availableTransports.length > 0);
        assert.equal(n.connectionToken === undefined, n.negotiateVersion === 0);
      }
    }
    assert.deepEqual(w.uncaught.map(String), []);
  }), { numRuns: 150 });
  await w.stillServing();
});

test('fuzz: requests on the connection URL with random ids, hubs, methods, headers and bodies get a transport status, never 5xx', async () => {
  const pool: string[] = [];
  for (let i = 0; i < 12; i++) pool.push((await w.negotiate(w.origins.sig, valid, { scheme: 'http' })).connectionToken);
  const id = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...pool) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  );
  const outcomes: Record<string, number> = {};
  await fc.assert(fc.asyncProperty(
    fc.constantFrom('GET', 'GET', 'POST', 'POST', 'DELETE'),
    id,
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom('chat', 'CHAT') }, { weight: 1, arbitrary: fc.constantFrom('other', '', '1x') }),
    fc.record({
      accept: fc.option(fc.constantFrom('text/event-stream', '*/*', 'text/event-stream, */*', 'application/json'), { nil: undefined }),
      authorization: fc.option(fc.oneof({ weight: 6, arbitrary: fc.constant(`Bearer ${valid}`) }, { weight: 1, arbitrary: fc.string({ maxLength: 60 }) }), { nil: undefined, freq: 8 }),
      'content-type': fc.option(fc.constantFrom('text/plain', 'application/octet-stream', 'application/json'), { nil: undefined }),
    }, { requiredKeys: [] }),
    fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.constant(`{"protocol":"json","version":1}\u001e`)),
    async (method, connectionId, hub, h, body) => {
      const headers = Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>;
      const q = [hub === '' ? undefined : `hub=${hub}`, connectionId === undefined ? undefined : `id=${encodeURIComponent(connectionId)}`].filter(Boolean).join('&');
      let res: Response | undefined;
      try {
        res = await fetch(`${w.origins.sig.httpEndpoint}/client/?${q}`, { method, headers, body: method === 'POST' ? body : undefined, signal: AbortSignal.timeout(300) });
      } catch (err) {
        if (/header|invalid/i.test(String((err as Error).cause ?? err))) return;
        // A poll held for data is a valid answer still to come.
        assert.match(String((err as Error).name), /TimeoutError|AbortError/);
        outcomes.held = (outcomes.held ?? 0) + 1;
        return;
      }
      // An event stream stays open: its 200 and headers are the answer.
      if (res.headers.get('content-type') === 'text/event-stream') await res.body?.cancel();
      else await res.arrayBuffer().catch(() => undefined);
      outcomes[res.status] = (outcomes[res.status] ?? 0) + 1;
      assert.ok([200, 202, 204, 400, 401, 403, 404, 405, 409, 413].includes(res.status), `${method} ?${q} ${JSON.stringify(headers)} → ${res.status}`);
      assert.deepEqual(w.uncaught.map(String), []);
    },
  ), { numRuns: 150 });
  if (process.env.FUZZ_LOG) console.log('connection URL', outcomes);
  await w.stillServing();
});

// --- WebSockets: random message sequences after a valid handshake ---

for (const protocol of ['json', 'messagepack'] as const) {
  test(`fuzz: ${protocol} message sequences on WebSockets get answered or close that peer, never more`, async () => {
    const url = `${w.origins.sig.httpEndpoint.replace(/^http/, 'ws')}/client/?hub=chat&access_token=${valid}`;
    let peer: HubPeer | undefined;
    let closed = true;
    let probes = 0;
    let outcomes = { answered: 0, closed: 0, pending: 0 };
    await fc.assert(fc.asyncProperty(protocol === 'json' ? jsonFrames : msgpackFrames, async (frames) => {
      if (closed) {
        peer?.ws.terminate();
        peer = await openPeer(url);
        closed = false;
        void peer.closed(3_600_000).then(() => { closed = true; }, () => undefined);
        peer.ws.send(handshakeText(protocol));
        await peer.until(protocol, (m) => m.handshake !== undefined);
      }
      const p = peer!;
      for (const f of frames) if (p.ws.readyState === 1) p.ws.send(f.data, { binary: f.binary });
      // A probe invocation after the inputs: its Completion proves the session still reads; a close is the other allowed outcome.
      const id = `probe-${++probes}`;
      const probe = protocol === 'json' ? `{"type":1,"invocationId":"${id}","target":"t","arguments":[]}${RS}` : varintFrame(encode([1, {}, id, 't', []]));
      if (p.ws.readyState === 1) p.ws.send(probe, { binary: protocol === 'messagepack' });
      const outcome = await Promise.race([
        p.until(protocol, (m) => m.hub.some((x) => isCompletionOf(x, id)), protocol === 'json' ? 3000 : 150).then(() => 'answered' as const, () => 'pending' as const),
        p.closed(3000).then(() => 'closed' as const, () => 'pending' as const),
      ]);
      // JSON: a probe after any prefix either completes a message or makes it invalid, so it is answered.
      // MessagePack: a length prefix in the junk may still be waiting for its bytes; that peer is then dropped by us.
      if (protocol === 'json') assert.notEqual(outcome, 'pending', `no answer and no close for ${JSON.stringify(frames.map((f) => f.data.toString('latin1'))).slice(0, 400)}`);
      if (outcome === 'pending') {
        p.ws.terminate();
        closed = true;
      }
      outcomes = { ...outcomes, [outcome]: outcomes[outcome] + 1 };
      assert.deepEqual(w.uncaught.map(String), []);
    }), { numRuns: protocol === 'json' ? 200 : 120 });
    peer?.ws.terminate();
    if (process.env.FUZZ_LOG) console.log(protocol, outcomes);
    assert.ok(outcomes.answered > 0 && outcomes.closed > 0, `both outcomes exercised: ${JSON.stringify(outcomes)}`);
    assert.ok(w.upstreamRequests.count > outcomes.answered, 'invocations crossed the upstream path');
    await w.stillServing();
  });
}
