/**
 * ASP.NET's transport rules on the SignalR connection URL, against a full Lapis over raw HTTP:
 * 400/403/404/405/409/413 per request, malformed HTTP, the handshake timeout on every transport,
 * and a negotiate flood (429 past the bound). Each refusal concerns that request or connection
 * only; official clients connected beforehand keep receiving.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from './raw-socket.ts';
import { handshakeText, openPeer } from './signalr-peer.ts';
import { RS, startHostileWorld, type HostileWorld } from './signalr-hostile.ts';
import { bearer, eventually, onSig, status } from './signalr-raw.ts';

let w: HostileWorld;
before(async () => { w = await startHostileWorld(); });
after(async () => { await w?.stop(); });
const { sig, tok, conn, wsPeer } = onSig(() => w);

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
  await new Promise((r) => setTimeout(r, 500)); // the poll reaches the server and is held
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
  const first = await w.negotiate(sig(), t, { scheme: 'http' });
  // Pipelined on a few keep-alive sockets: the flood costs the server its work, not the test a client per request.
  const one = `POST /client/negotiate?hub=chat&negotiateVersion=1 HTTP/1.1\r\nHost: localhost:${sig().http.port}\r\nAuthorization: Bearer ${t}\r\nContent-Length: 0\r\n\r\n`;
  const perSocket = 700;
  const answers = await Promise.all(Array.from({ length: 16 }, async () => {
    const s = await connect(sig().http);
    let text = '';
    const statuses: number[] = [];
    await new Promise<void>((resolve, reject) => {
      s.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        for (let m = /HTTP\/1\.1 (\d{3}) /.exec(text); m; m = /HTTP\/1\.1 (\d{3}) /.exec(text)) {
          statuses.push(Number(m[1]));
          text = text.slice(m.index + m[0].length);
        }
        if (statuses.length === perSocket) resolve();
      });
      s.on('error', reject);
      s.write(one.repeat(perSocket));
    });
    s.destroy();
    return { statuses, lastBody: text };
  }));
  const statuses = answers.flatMap((a) => a.statuses);
  const accepted = statuses.filter((x) => x === 200).length;
  assert.deepEqual([...new Set(statuses)].sort(), [200, 429]);
  // Earlier tests of this file may still hold a few waiting negotiations of their own.
  assert.ok(accepted > 9_900 && accepted < 10_000, `${accepted} negotiated before the bound`);
  assert.match(answers.map((a) => a.lastBody).join(''), /Too many connections are negotiating or waiting for their handshake/);
  // Another resource negotiates as usual; starting one waiting connection frees a place.
  await w.negotiate(w.origins.other, await w.token(w.origins.other, { scheme: 'http' }), { scheme: 'http' });
  assert.equal((await fetch(url, { method: 'POST', headers: bearer(t) })).status, 429);
  assert.equal((await status('GET', conn(first.connectionToken), bearer(t))).status, 200);
  assert.equal((await fetch(url, { method: 'POST', headers: bearer(t) })).status, 200);
  assert.equal((await fetch(url, { method: 'POST', headers: bearer(t) })).status, 429);
  await w.stillServing();
});
