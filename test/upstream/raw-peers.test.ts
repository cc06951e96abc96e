/**
 * Handlers that do not speak HTTP properly, at the TCP level: garbage instead of a response, a
 * reset or close in the middle of a body, a broken chunked encoding, endless headers, a response
 * cut off mid-header. Each fails its own event as Azure fails it (retried only when the network
 * failure is transient), the process keeps serving, and a well-behaved handler keeps working.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startHarness, startUpstreamResource, until, within } from './support.ts';
import type { Harness } from './support.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const OK_OPTIONS = 'HTTP/1.1 200 OK\r\nWebHook-Allowed-Origin: *\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

/** What the peer does after reading a POST to `/{hub}/…`. */
const BEHAVIOURS: Record<string, (s: Socket) => void> = {
  garbage: (s) => s.end('SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n\r\n'),
  binary: (s) => s.end(randomBytes(64 * 1024)),
  midreset: (s) => { s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n0123456789'); setTimeout(() => s.resetAndDestroy(), 20); },
  midclose: (s) => { s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n0123456789'); setTimeout(() => s.end(), 20); },
  badchunk: (s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n'),
  headerflood: (s) => { s.write('HTTP/1.1 200 OK\r\n'); for (let i = 0; i < 2000; i++) s.write(`X-Flood-${i}: ${'a'.repeat(64)}\r\n`); s.end(); },
  cutoff: (s) => s.write('HTTP/1.1 200 OK\r\nContent-Le'), // then silence: the deadline ends it
  reset: (s) => s.resetAndDestroy(),
  good: (s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nfine'),
};

interface RawPeer { url: string; posts: string[]; close(): Promise<void> }

async function rawPeer(): Promise<RawPeer> {
  const posts: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [method = '', path = ''] = buf.slice(0, buf.indexOf('\r\n')).split(' ');
      const length = Number(/content-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      buf = '';
      if (method === 'OPTIONS') { s.end(OK_OPTIONS); return; }
      posts.push(path);
      if (path.endsWith('/connect') && path.startsWith('/good/')) { s.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'); return; }
      const behaviour = BEHAVIOURS[path.split('/')[1] ?? ''] ?? BEHAVIOURS.good!;
      behaviour(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, posts,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

test('garbage, mid-response resets and broken framing fail their own events; the process keeps serving', async () => {
  const peer = await rawPeer();
  const r = await startUpstreamResource(h, 'chat', { timing: { requestTimeoutMs: 1500, retryDelaysMs: [20, 20, 20], validationTimeoutMs: 1000 } });
  try {
    for (const hub of Object.keys(BEHAVIOURS)) r.handlers[hub] = [{ urlTemplate: `${peer.url}/${hub}/{event}`, userEventPattern: '*', systemEvents: ['connected', 'disconnected'] }];
    const outcome = async (hub: string): Promise<string> => {
      const client = r.client(hub, {}, { protocol: undefined });
      await within(client.start());
      try {
        await client.sendEvent('ping', 'x', 'text');
        return 'ok';
      } catch (e: any) {
        return `${e.errorDetail?.name}: ${e.errorDetail?.message}`;
      } finally {
        client.stop();
      }
    };
    const posts = (hub: string) => peer.posts.filter((p) => p === `/${hub}/ping`).length;
    const expected: Record<string, { message: RegExp; posts: number }> = {
      garbage: { message: /not available/, posts: 1 },
      binary: { message: /not available/, posts: 1 },
      badchunk: { message: /not available/, posts: 1 },
      headerflood: { message: /not available/, posts: 1 },
      midreset: { message: /not available/, posts: 4 }, // a reset is transient: Azure retries it
      midclose: { message: /not available/, posts: 4 },
      reset: { message: /not available/, posts: 4 },
      cutoff: { message: /did not answer in time/, posts: 1 },
    };
    for (const [hub, want] of Object.entries(expected)) {
      const got = await outcome(hub);
      assert.match(got, /^InvocationFailed: /, hub);
      assert.match(got, want.message, hub);
      assert.equal(posts(hub), want.posts, `${hub}: attempts`);
      assert.equal(await outcome('good'), 'ok', `a good handler still works after ${hub}`);
    }
    // The connected/disconnected events of those connections met the same peers: nothing crashed.
    await until(() => r.upstream.trackedConnections === 0, 5000, 'per-connection state released');
    assert.equal((await fetch(`${r.endpoint}/api/health`)).status, 200, 'the resource still answers');
  } finally {
    await r.close();
    await peer.close();
  }
});

test('a connect handler answering garbage refuses the handshake with 500; other hubs connect', async () => {
  const peer = await rawPeer();
  const r = await startUpstreamResource(h, 'chat', { timing: { requestTimeoutMs: 1500, retryDelaysMs: [20], validationTimeoutMs: 1000 } });
  try {
    r.handlers.garbage = [{ urlTemplate: `${peer.url}/garbage/{event}`, systemEvents: ['connect'] }];
    r.handlers.good = [{ urlTemplate: `${peer.url}/good/{event}`, systemEvents: ['connect'] }];
    const token = await r.serviceClient('garbage').getClientAccessToken();
    const ws = await import('ws');
    const status = await within(new Promise<number>((resolve) => {
      const sock = new ws.WebSocket(token.url, 'json.webpubsub.azure.v1');
      sock.on('error', () => undefined);
      sock.once('unexpected-response', (_q, res) => { res.resume(); resolve(res.statusCode ?? 0); });
      sock.once('open', () => { sock.close(); resolve(101); });
    }));
    assert.equal(status, 500);
    assert.equal(peer.posts.filter((p) => p === '/garbage/connect').length, 1, 'garbage is not retried');
    const ok = r.client('good');
    await within(ok.start());
    ok.stop();
  } finally {
    await r.close();
    await peer.close();
  }
});
