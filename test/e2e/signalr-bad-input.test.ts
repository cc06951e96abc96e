/**
 * Bad input at the SignalR protocol level, over raw HTTP and hand-driven WebSockets against a full
 * Lapis: foreign tokens, negotiate versions, handshake errors, formats a transport cannot carry,
 * protocol violations and oversized messages. Each gets the documented answer (a status, a
 * handshake error, or a hub Close and the end of that one connection); official clients connected
 * beforehand keep receiving. Transport rules, timeouts and floods: signalr-transport-rules.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { handshakeText, openPeer, varintFrame, type HubPeer } from './signalr-peer.ts';
import { RS, startHostileWorld, type HostileWorld } from './signalr-hostile.ts';
import { bearer, closeError, MIB, onSig, status } from './signalr-raw.ts';

let w: HostileWorld;
before(async () => { w = await startHostileWorld(); });
after(async () => { await w?.stop(); });
const { sig, tok, conn, wsPeer } = onSig(() => w);

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
