/**
 * Bad input at the SignalR protocol level, over raw HTTP and hand-driven WebSockets against a full
 * Lapis: each case gets the documented answer (a status, a handshake error, or a hub Close and
 * the end of that one connection), and official clients connected beforehand keep receiving.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { encode } from '@msgpack/msgpack';
import { connect } from './raw-socket.ts';
import { handshakeText, openPeer, varintFrame, type HubPeer } from './signalr-peer.ts';
import { RS, startHostileWorld, type HostileWorld } from './signalr-hostile.ts';

let w: HostileWorld;
before(async () => { w = await startHostileWorld(); });
after(async () => { await w?.stop(); });

const MIB = 1024 * 1024;
const sig = () => w.origins.sig;
const tok = (o: Parameters<HostileWorld['token']>[1] = {}) => w.token(sig(), { scheme: 'http', ...o });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const conn = (id: string, hub = 'chat') => `${sig().httpEndpoint}/client/?hub=${hub}&id=${id}`;

/** A negotiated WebSocket peer on `sig` (plain HTTP origin) that has sent `first` (usually a handshake). */
async function wsPeer(first?: string | Buffer, user = 'mallory'): Promise<HubPeer> {
  const t = await tok({ user });
  const n = await w.negotiate(sig(), t, { scheme: 'http' });
  const p = await openPeer(conn(n.connectionToken).replace(/^http/, 'ws'), bearer(t));
  if (first !== undefined) p.ws.send(first);
  return p;
}

async function status(method: string, url: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method, headers, body });
  return { status: res.status, text: await res.text() };
}

/** Retries `check` until it holds (state changes on the server side are asynchronous to the client). */
async function eventually(check: () => Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const closeError = (hub: unknown[]): string | undefined => {
  const close = hub.find((m) => (Array.isArray(m) ? m[0] === 7 : (m as { type?: number }).type === 7));
  if (close === undefined) return undefined;
  return String(Array.isArray(close) ? close[1] : (close as { error?: string }).error);
};

test('tokens for another hub, another resource, expired or of another user: refused for that request only', async () => {
  const negotiate = (t: string, hub = 'chat') => status('POST', `${sig().httpEndpoint}/client/negotiate?hub=${hub}&negotiateVersion=1`, bearer(t));
  const otherHub = await negotiate(await tok(), 'other');
  assert.equal(otherHub.status, 401);
  assert.match(otherHub.text, /audience/);
  assert.equal((await negotiate(await w.token(w.origins.other, { scheme: 'http' }))).status, 401, 'token of another resource (its key, its origin)');
  assert.equal((await negotiate(await tok({ key: w.origins.other.key }))).status, 401, 'signed with another resource key');
  assert.equal((await negotiate(await tok({ exp: Math.floor(Date.now() / 1000) - 600 }))).status, 401, 'expired');
  const full = await fetch(`${w.origins.full.httpEndpoint}/client/negotiate?hub=chat&negotiateVersion=1`, { method: 'POST', headers: bearer(await w.token(w.origins.full, { scheme: 'http' })) });
  assert.deepEqual([full.status, await full.json()], [429, { error: 'The connection limit of this resource has been reached.' }], 'a resource at its connection limit');
  const noToken = await fetch(`${sig().httpEndpoint}/client/negotiate?hub=chat&negotiateVersion=1`, { method: 'POST' });
  assert.equal(noToken.status, 401);
  assert.equal(noToken.headers.get('www-authenticate'), 'Bearer');

  // A live connection token with a token for another hub, or of another user.
  const alice = await tok({ user: 'alice' });
  const n = await w.negotiate(sig(), alice, { scheme: 'http' });
  assert.equal((await status('GET', conn(n.connectionToken), bearer(await tok({ user: 'alice', hub: 'other' })))).status, 401);
  assert.equal((await status('GET', conn(n.connectionToken, 'other'), bearer(await tok({ user: 'alice', hub: 'other' })))).status, 404, 'the id is not known on another hub');
  const eve = await status('GET', conn(n.connectionToken), bearer(await tok({ user: 'eve' })));
  assert.equal(eve.status, 403);
  await assert.rejects(openPeer(conn(n.connectionToken).replace(/^http/, 'ws'), bearer(await tok({ user: 'eve' }))), /403/);
  // The connection is still Alice's to start.
  assert.equal((await status('GET', conn(n.connectionToken), bearer(alice))).status, 200);
  await w.stillServing();
});

test('negotiate versions: a bad version is a {"error"} answer; version 0 clients use the connectionId as id; a version-1 connectionId is no key', async () => {
  const t = await tok({ user: 'v0' });
  const negotiate = async (q: string) => {
    const res = await fetch(`${sig().httpEndpoint}/client/negotiate?hub=chat${q}`, { method: 'POST', headers: bearer(t) });
    assert.equal(res.status, 200, q);
    return (await res.json()) as { error?: string; negotiateVersion?: number; connectionId: string; connectionToken?: string };
  };
  assert.deepEqual(await negotiate('&negotiateVersion=abc'), { error: "The client requested an invalid protocol version 'abc'" });
  assert.deepEqual(await negotiate('&negotiateVersion=-1'), { error: "The client requested version '-1', but the server does not support this version." });
  for (const q of ['', '&negotiateVersion=0']) {
    const n = await negotiate(q);
    assert.equal(n.negotiateVersion, 0);
    assert.equal(n.connectionToken, undefined);
    const p = await openPeer(conn(n.connectionId).replace(/^http/, 'ws'), bearer(t));
    p.ws.send(handshakeText('json'));
    await p.until('json', (m) => m.handshake !== undefined);
    assert.equal(await w.rest('POST', `/api/hubs/chat/connections/${n.connectionId}/:send?api-version=2022-06-01`, { target: 'v0', arguments: [q] }), 202);
    await p.until('json', (m) => m.hub.some((x) => (x as { target?: string }).target === 'v0'));
    p.ws.close();
  }
  const v1 = await negotiate('&negotiateVersion=1');
  assert.equal((await status('GET', conn(v1.connectionId), bearer(t))).status, 404, 'the public id does not open a version-1 connection');
  assert.equal((await status('GET', conn(v1.connectionToken!), bearer(t))).status, 200);
});

test('handshake errors: unknown protocol, version, garbage, oversized, not an object; each closes that peer', async () => {
  const cases: Array<[string | Buffer, RegExp]> = [
    [handshakeText('xml'), /^Requested protocol 'xml' is not available\.$/],
    [handshakeText('json', 3), /^The server does not support version 3 of the 'json' protocol\.$/],
    [handshakeText('json', '1'), /InvalidDataException: Expected 'version' to be of type Integer\./],
    [`{"version":1}${RS}`, /InvalidDataException: Missing required property 'protocol'\./],
    [`hello${RS}`, /^An unexpected error occurred during connection handshake\. InvalidDataException: The handshake request is not JSON/],
    [`[1,2]${RS}`, /InvalidDataException: The handshake request must be a JSON object\./],
    ['x'.repeat(5000), /InvalidDataException: The handshake request exceeds 4096 bytes\./],
    [Buffer.from([0xff, 0xfe, 0x00, 0x1e]), /InvalidDataException: The handshake request is not JSON/],
    [Buffer.concat([varintFrame(encode([6])), Buffer.from([0x1e])]), /InvalidDataException/],
  ];
  for (const [first, error] of cases) {
    const p = await wsPeer(first);
    const m = await p.until('json', (x) => x.handshake !== undefined);
    assert.match((m.handshake as { error: string }).error, error, String(first).slice(0, 40));
    assert.equal((await p.closed()).code, 1000);
  }
  await w.stillServing();
});

test('MessagePack over Server-Sent Events, and a transport the token does not allow, fail the handshake', async () => {
  const t = await tok();
  const n = await w.negotiate(sig(), t, { scheme: 'http' });
  const stream = await fetch(`${conn(n.connectionToken)}&access_token=${t}`, { headers: { accept: 'text/event-stream' } });
  assert.equal(stream.status, 200);
  const sent = await status('POST', conn(n.connectionToken), bearer(t), handshakeText('messagepack'));
  assert.equal(sent.status, 200);
  const events = await stream.text(); // the stream ends after the error
  assert.match(events, /data: \{"error":"Cannot use the 'messagepack' protocol on the current transport\. The transport does not support 'Binary' transfer format\."\}\u001e/);
  assert.equal((await status('POST', conn(n.connectionToken), bearer(t), handshakeText('json'))).status, 404, 'a send for the closed SSE connection');

  const lpOnly = await tok({ claims: { 'asrs.s.htt': 4 } });
  const neg = await fetch(`${sig().httpEndpoint}/client/negotiate?hub=chat&negotiateVersion=1`, { method: 'POST', headers: bearer(lpOnly) });
  const offered = (await neg.json()) as { availableTransports: Array<{ transport: string }> };
  assert.deepEqual(offered.availableTransports.map((x) => x.transport), ['LongPolling']);
  const p = await openPeer(`${sig().httpEndpoint.replace(/^http/, 'ws')}/client/?hub=chat`, bearer(lpOnly));
  p.ws.send(handshakeText('json'));
  const m = await p.until('json', (x) => x.handshake !== undefined);
  assert.deepEqual(m.handshake, { error: 'The transport WebSockets is not allowed by the access token.' });
  await p.closed();
  await w.stillServing();
});

test('after the handshake: text on MessagePack, MessagePack on JSON, mixed frames, Ack: a Close with the error, then that peer is closed', async () => {
  const text = await wsPeer(handshakeText('messagepack'));
  await text.until('messagepack', (m) => m.handshake !== undefined);
  text.ws.send(`{"type":6}${RS}`);
  const a = await text.until('messagepack', (m) => closeError(m.hub) !== undefined);
  assert.equal(closeError(a.hub), 'Connection closed with an error. InvalidDataException: MessagePack connections accept binary data only.');
  await text.closed();

  const packed = await wsPeer(handshakeText('json'));
  packed.ws.send(Buffer.concat([varintFrame(encode([1, {}, null, 'target', []])), Buffer.from([0x1e])]));
  const b = await packed.until('json', (m) => closeError(m.hub) !== undefined);
  assert.match(closeError(b.hub)!, /^Connection closed with an error\. InvalidDataException: /);
  await packed.closed();

  // The handshake and MessagePack bytes of a JSON message in the same frame.
  const mixed = await wsPeer(Buffer.concat([Buffer.from(handshakeText('json')), varintFrame(encode([6])), Buffer.from([0x1e])]));
  const c = await mixed.until('json', (m) => closeError(m.hub) !== undefined);
  assert.deepEqual(c.handshake, {});
  await mixed.closed();

  const ack = await wsPeer(`${handshakeText('json')}{"type":8,"sequenceId":1}${RS}`);
  const d = await ack.until('json', (m) => closeError(m.hub) !== undefined);
  assert.match(closeError(d.hub)!, /stateful reconnect/);
  await ack.closed();
  await w.stillServing();
});

test('oversized messages: a Close (WebSockets) or 413 (HTTP sends) for that peer; a message at the limit passes', async () => {
  const probe = (id: string) => `{"type":1,"invocationId":"${id}","target":"t","arguments":[]}${RS}`;
  const answered = (m: { hub: unknown[] }, id: string) => m.hub.some((x) => (x as { type: number; invocationId?: string }).type === 3 && (x as { invocationId?: string }).invocationId === id);

  // Just under 1 MiB: read whole and answered (the Completion proves the connection lives on).
  const big = await wsPeer(handshakeText('json'));
  const filler = 'x'.repeat(MIB - 200);
  big.ws.send(`{"type":1,"invocationId":"big","target":"t","arguments":["${filler}"]}${RS}`);
  await big.until('json', (m) => answered(m, 'big'));
  big.ws.close();

  for (const [name, send] of [
    ['one frame over 1 MiB', (p: HubPeer) => p.ws.send(`{"type":1,"target":"t","arguments":["${'y'.repeat(MIB)}"]}${RS}`)],
    ['a message split over frames', (p: HubPeer) => { p.ws.send(`{"type":1,"target":"t","arguments":["${'y'.repeat(700_000)}`); p.ws.send(`${'y'.repeat(700_000)}"]}${RS}`); }],
  ] as const) {
    const p = await wsPeer(handshakeText('json'));
    await p.until('json', (m) => m.handshake !== undefined);
    send(p);
    const m = await p.until('json', (x) => closeError(x.hub) !== undefined);
    assert.match(closeError(m.hub)!, /^Connection closed with an error\. InvalidDataException: The maximum message size of 1048576B was exceeded/, name);
    await p.closed();
  }
  // A frame past twice the limit is cut by the WebSocket layer (1009) before it is buffered whole.
  const huge = await wsPeer(handshakeText('json'));
  await huge.until('json', (m) => m.handshake !== undefined);
  huge.ws.send(Buffer.alloc(2 * MIB + 1, 0x20));
  assert.equal((await huge.closed()).code, 1009);

  // MessagePack: a length prefix over the limit is refused before the body arrives.
  const mp = await wsPeer(handshakeText('messagepack'));
  await mp.until('messagepack', (m) => m.handshake !== undefined);
  mp.ws.send(Buffer.from([0x80, 0x80, 0x80, 0x01])); // 2 MiB
  const e = await mp.until('messagepack', (m) => closeError(m.hub) !== undefined);
  assert.match(closeError(e.hub)!, /InvalidDataException/);
  await mp.closed();

  // Long polling: a POST over 1 MiB is 413, the connection carries on.
  const t = await tok();
  const n = await w.negotiate(sig(), t, { scheme: 'http' });
  assert.equal((await status('GET', conn(n.connectionToken), bearer(t))).status, 200);
  assert.equal((await status('POST', conn(n.connectionToken), bearer(t), handshakeText('json'))).status, 200);
  assert.equal((await status('POST', conn(n.connectionToken), bearer(t), Buffer.alloc(MIB + 1, 0x20))).status, 413);
  assert.equal((await status('POST', conn(n.connectionToken), bearer(t), probe('lp'))).status, 200);
  const poll = await status('GET', conn(n.connectionToken), bearer(t));
  assert.equal(poll.status, 200);
  assert.match(poll.text, /"invocationId":"lp"/);
  await w.stillServing();
});

test('transport rules: 400 without id, 404 unknown id, 405 POST to a WebSocket, 409 concurrent poll or send, 400 transport change, DELETE', async () => {
  const t = await tok();
  const base = `${sig().httpEndpoint}/client/?hub=chat`;
  for (const m of ['GET', 'POST', 'DELETE']) {
    const r = await status(m, base, bearer(t));
    assert.deepEqual([m, r.status, r.text], [m, 400, 'Connection ID required']);
    assert.equal((await status(m, conn('AAAAAAAAAAAAAAAAAAAAAA'), bearer(t))).status, 404, `${m} unknown id`);
  }

  // Long polling: a second held poll is 409; a concurrent send is 409; SSE GET on it is 400.
  const n = await w.negotiate(sig(), t, { scheme: 'http' });
  const url = conn(n.connectionToken);
  assert.equal((await status('GET', url, bearer(t))).status, 200);
  assert.equal((await status('POST', url, bearer(t), handshakeText('json'))).status, 200);
  assert.equal((await status('GET', url, bearer(t))).text, `{}${RS}`, 'the handshake reply');
  const held = fetch(url, { headers: bearer(t), signal: AbortSignal.timeout(10_000) });
  await new Promise((r) => setTimeout(r, 300)); // the poll reaches the server and is held
  assert.equal((await status('GET', url, bearer(t))).status, 409);
  assert.equal((await status('GET', url, { ...bearer(t), accept: 'text/event-stream' })).status, 400);
  // A send whose body is still arriving holds the connection's send slot.
  const slow = request(url, { method: 'POST', headers: { ...bearer(t), 'content-length': '11' } });
  const slowDone = new Promise<number>((r) => slow.on('response', (res) => { res.resume(); r(res.statusCode!); }));
  slow.write('{"type":6}');
  await eventually(async () => (await status('POST', url, bearer(t), `{"type":6}${RS}`)).status === 409, 'a concurrent send is 409');
  slow.end(RS);
  assert.equal(await slowDone, 200);
  // A send cut off mid-body frees the slot; a chunked send past 1 MiB is 413; the connection carries on.
  const cut = request(url, { method: 'POST', headers: { ...bearer(t), 'content-length': '100' } });
  cut.on('error', () => undefined);
  cut.write('{"type":6}');
  await eventually(async () => (await status('POST', url, bearer(t), `{"type":6}${RS}`)).status === 409, 'the cut send holds the slot');
  cut.destroy();
  await eventually(async () => (await status('POST', url, bearer(t), `{"type":6}${RS}`)).status === 200, 'the slot is free again');
  const chunked = request(url, { method: 'POST', headers: bearer(t) });
  const chunkedStatus = new Promise<number | string>((r) => { chunked.on('response', (res) => r(res.statusCode!)); chunked.on('error', (e) => r(String(e))); });
  for (let i = 0; i < 20; i++) chunked.write(Buffer.alloc(64 * 1024, 0x20));
  chunked.end();
  assert.equal(await chunkedStatus, 413);
  assert.equal((await status('POST', url, bearer(t), `{"type":6}${RS}`)).status, 200);
  assert.equal((await status('DELETE', url, bearer(t))).status, 202);
  assert.equal((await held).status, 204);

  // WebSockets: POST is 405, a second upgrade is refused.
  const p = await wsPeer(handshakeText('json'));
  await p.until('json', (m) => m.handshake !== undefined);
  const id = new URL(p.ws.url).searchParams.get('id')!;
  assert.equal((await status('POST', conn(id), bearer(await tok({ user: 'eve' })), `{"type":6}${RS}`)).status, 403, 'another user than the negotiate');
  const owner = await tok({ user: 'mallory' });
  assert.equal((await status('POST', conn(id), bearer(owner), `{"type":6}${RS}`)).status, 405);
  assert.equal((await status('DELETE', conn(id), bearer(owner))).status, 400);
  await assert.rejects(openPeer(conn(id).replace(/^http/, 'ws'), bearer(owner)), /409/);
  p.ws.close();

  // SSE: DELETE is not how it ends; once over, sends are 404.
  const s = await w.negotiate(sig(), t, { scheme: 'http' });
  const ctl = new AbortController();
  const stream = await fetch(`${conn(s.connectionToken)}&access_token=${t}`, { headers: { accept: 'text/event-stream' }, signal: ctl.signal });
  assert.equal(stream.status, 200);
  assert.equal((await status('POST', conn(s.connectionToken), bearer(t), handshakeText('json'))).status, 200);
  assert.equal((await status('DELETE', conn(s.connectionToken), bearer(t))).status, 400);
  ctl.abort();
  await stream.text().catch(() => undefined);
  await eventually(async () => (await status('POST', conn(s.connectionToken), bearer(t), `{"type":6}${RS}`)).status === 404, 'a send after the stream ended is 404');
  const gone = await status('POST', conn(s.connectionToken), bearer(t), `{"type":6}${RS}`);
  assert.deepEqual([gone.status, gone.text], [404, 'No Connection with that ID']);
  await w.stillServing();
});

test('malformed HTTP on the connection URL (bad chunks, absurd chunk size, oversized headers) is refused by the parser; the connection carries on', async () => {
  const t = await tok();
  const n = await w.negotiate(sig(), t, { scheme: 'http' });
  const path = `/client/?hub=chat&id=${n.connectionToken}`;
  const url = `${sig().httpEndpoint}${path}`;
  assert.equal((await status('GET', url, bearer(t))).status, 200);
  assert.equal((await status('POST', url, bearer(t), handshakeText('json'))).status, 200);
  const head = `POST ${path} HTTP/1.1\r\nHost: localhost:${sig().http.port}\r\nAuthorization: Bearer ${t}\r\n`;
  for (const [name, bytes, expected] of [
    ['invalid chunk', `${head}Transfer-Encoding: chunked\r\n\r\n5\r\n{"typ\r\nZZZ\r\n`, 400],
    ['absurd chunk size', `${head}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n`, 400],
    ['both Content-Length and chunked', `${head}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
    ['oversized headers', `${head}X-Pad: ${'p'.repeat(20_000)}\r\n\r\n`, 431],
  ] as const) {
    const peer = await connect(sig().http);
    let answer = '';
    peer.on('data', (d) => { answer += d.toString('latin1'); });
    peer.on('error', () => undefined);
    const ended = new Promise((r) => peer.on('close', r));
    peer.write(bytes);
    await ended;
    assert.match(answer, new RegExp(`^HTTP/1\\.1 ${expected} `), name);
    assert.equal((await status('POST', url, bearer(t), `{"type":6}${RS}`)).status, 200, `${name}: the connection still takes sends`);
  }
  await w.stillServing();
});

test('handshake timeout (asrs.s.cht = 1 s): every transport gets "Handshake was canceled." and is closed, even while bytes trickle in', async () => {
  const t = await tok({ claims: { 'asrs.s.cht': 1 } });
  const canceled = { error: 'Handshake was canceled.' };
  const wsWith = async () => {
    const n = await w.negotiate(sig(), t, { scheme: 'http' });
    const p = await openPeer(conn(n.connectionToken).replace(/^http/, 'ws'), bearer(t));
    assert.deepEqual((await p.until('json', (x) => x.handshake !== undefined, 5000)).handshake, canceled);
    await p.closed();
  };
  const sse = async () => {
    const n = await w.negotiate(sig(), t, { scheme: 'http' });
    const stream = await fetch(`${conn(n.connectionToken)}&access_token=${t}`, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(8000) });
    assert.match(await stream.text(), /data: \{"error":"Handshake was canceled\."\}\u001e/);
  };
  const lp = async () => {
    const n = await w.negotiate(sig(), t, { scheme: 'http' });
    assert.equal((await status('GET', conn(n.connectionToken), bearer(t))).status, 200);
    const held = await fetch(conn(n.connectionToken), { headers: bearer(t), signal: AbortSignal.timeout(8000) });
    assert.equal(await held.text(), `${JSON.stringify(canceled)}${RS}`);
    assert.equal((await status('GET', conn(n.connectionToken), bearer(t))).status, 204, 'then the connection is over');
  };
  const trickling = async () => {
    const n = await w.negotiate(sig(), t, { scheme: 'http' });
    const p = await openPeer(conn(n.connectionToken).replace(/^http/, 'ws'), bearer(t));
    const drip = setInterval(() => p.ws.readyState === 1 && p.ws.send('{'), 200);
    try {
      assert.deepEqual((await p.until('json', (x) => x.handshake !== undefined, 5000)).handshake, canceled);
      await p.closed();
    } finally {
      clearInterval(drip);
    }
  };
  // Measured from the connection's start, not from the keep-alive clock's last tick: never early.
  const inTime = async (offset: number) => {
    await new Promise((r) => setTimeout(r, offset));
    const n = await w.negotiate(sig(), t, { scheme: 'http' });
    const p = await openPeer(conn(n.connectionToken).replace(/^http/, 'ws'), bearer(t));
    await new Promise((r) => setTimeout(r, 300));
    p.ws.send(handshakeText('json'));
    assert.deepEqual((await p.until('json', (x) => x.handshake !== undefined, 5000)).handshake, {});
    p.ws.close();
  };
  // Starts spread over one clock period, so one of them always starts just before a tick.
  await Promise.all([wsWith(), sse(), lp(), trickling(), ...[0, 200, 400, 600, 800].map(inTime)]);
  await w.stillServing();
});

// Last in this file: it leaves `sig` at its pending-negotiation bound (they expire after 30 s).
test('a negotiate flood gets 429 past the bound (10,000 waiting starts); other resources and connected clients are unaffected', async () => {
  const t = await tok({ user: 'flood' });
  const url = `${sig().httpEndpoint}/client/negotiate?hub=chat&negotiateVersion=1`;
  const tokens: string[] = [];
  let refused = 0;
  let body = '';
  const worker = async () => {
    while (refused === 0) {
      const res = await fetch(url, { method: 'POST', headers: bearer(t) });
      if (res.status === 200) tokens.push(((await res.json()) as { connectionToken: string }).connectionToken);
      else {
        assert.equal(res.status, 429);
        refused++;
        body = await res.text();
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  // Earlier tests of this file may still hold a few waiting negotiations of their own.
  assert.ok(tokens.length > 9_900 && tokens.length < 10_032, `${tokens.length} negotiated before the bound`);
  assert.match(body, /Too many negotiated connections are waiting to start/);
  // Another resource negotiates as usual; starting one waiting connection frees a place.
  await w.negotiate(w.origins.other, await w.token(w.origins.other, { scheme: 'http' }), { scheme: 'http' });
  assert.equal((await status('GET', conn(tokens[0]!), bearer(t))).status, 200);
  assert.equal((await fetch(url, { method: 'POST', headers: bearer(t) })).status, 200);
  assert.equal((await fetch(url, { method: 'POST', headers: bearer(t) })).status, 429);
  await w.stillServing();
});
