/**
 * Every listener Lapis opens (main HTTPS and HTTP, each resource's HTTPS and HTTP, each vault)
 * survives peers that are not speaking HTTP or TLS properly: garbage instead of a TLS hello, a
 * TLS handshake cut mid-way, malformed HTTP, oversized headers, resets mid-request, an upgrade
 * on an origin that serves none. After each, every listener still answers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

let lapis: TestLapis;
const uncaught: Error[] = [];
process.on('uncaughtExceptionMonitor', (err) => uncaught.push(err));

interface L { name: string; port: number; tls: boolean; health: string }
const listeners: L[] = [];

before(async () => {
  lapis = await startTestLapis({
    config: {
      resources: [
        { type: 'Microsoft.SignalRService/webPubSub', name: 'wps', resourceGroup: 'rg' },
        { type: 'Microsoft.KeyVault/vaults', name: 'kv-hostile', resourceGroup: 'rg' },
      ],
    },
  });
  const r = lapis.ready;
  const add = (name: string, url: string, health: string) => {
    const u = new URL(url);
    listeners.push({ name, port: Number(u.port), tls: u.protocol === 'https:', health });
  };
  add('main-https', r.httpsUrl, '/api/health');
  add('main-http', r.httpUrl, '/api/health');
  for (const res of r.resources) {
    if (res.endpoint) add(`${res.name}-https`, res.endpoint, '/api/health');
    if (res.httpEndpoint) add(`${res.name}-http`, res.httpEndpoint, '/api/health');
    if (res.vaultUri) add(`${res.name}-https`, res.vaultUri, '/api/health');
  }
});
after(() => lapis?.stop());

/** Writes `bytes` (over TLS when `overTls`), optionally resets, and waits until the server closes or 1 s passes. */
function hit(l: L, bytes: Buffer, o: { overTls?: boolean; reset?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); s.destroy(); resolve(); };
    const s: net.Socket = o.overTls
      ? tls.connect({ host: '127.0.0.1', port: l.port, servername: 'localhost' }, () => write())
      : net.connect({ host: '127.0.0.1', port: l.port }, () => write());
    const timer = setTimeout(done, 1000);
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => {});
    function write() {
      s.write(bytes);
      // A TCP reset where the socket is plain TCP; over TLS, the closest is cutting the session.
      if (o.reset) o.overTls ? s.destroy() : s.resetAndDestroy();
    }
  });
}

const HELLO_START = Buffer.from('16030100c8010000c40303', 'hex'); // a TLS ClientHello cut after its first bytes

const ABUSE: ReadonlyArray<{ name: string; bytes: Buffer; httpOnly?: boolean; tlsOnly?: boolean; overTls?: boolean; reset?: boolean }> = [
  { name: 'random bytes', bytes: Buffer.from('\x00\xff\x13\x37garbage\r\n\r\n', 'latin1') },
  { name: 'half a TLS hello, then reset', bytes: HELLO_START, tlsOnly: true, reset: true },
  { name: 'half a TLS hello, then silence', bytes: HELLO_START, tlsOnly: true },
  { name: 'plain HTTP to the TLS port', bytes: Buffer.from('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n'), tlsOnly: true },
  { name: 'unknown method token', bytes: Buffer.from('BR EW / HTTP/1.1\r\nHost: x\r\n\r\n'), overTls: true },
  { name: 'broken header line', bytes: Buffer.from('GET / HTTP/1.1\r\nHost x\r\n\x00: y\r\n\r\n'), overTls: true },
  { name: 'oversized headers', bytes: Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(200_000)}\r\n\r\n`), overTls: true },
  { name: 'lying Content-Length, then reset', bytes: Buffer.from('POST /api/hubs/h/:send HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc'), overTls: true, reset: true },
  { name: 'upgrade, then an unmasked frame', bytes: Buffer.concat([Buffer.from('GET /anything HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'), Buffer.from([0x81, 0x01, 0x78])]), overTls: true },
  { name: 'upgrade, then reset', bytes: Buffer.from('GET /client/hubs/h HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'), overTls: true, reset: true },
];

async function allServing(): Promise<void> {
  assert.deepEqual(uncaught.map((e) => e.message), [], 'an uncaught exception would have ended the process');
  for (const l of listeners) {
    const res = await fetch(`${l.tls ? 'https' : 'http'}://localhost:${l.port}${l.health}`);
    await res.arrayBuffer();
    assert.ok(res.status < 500, `${l.name} answers (${res.status})`);
  }
}

test('every listener survives every kind of broken peer', async () => {
  assert.ok(listeners.length >= 5, `listeners found: ${listeners.map((l) => l.name).join(', ')}`);
  for (const l of listeners) {
    for (const a of ABUSE) {
      if (a.tlsOnly && !l.tls) continue;
      await hit(l, a.bytes, { overTls: l.tls && (a.overTls ?? false), reset: a.reset });
    }
  }
  await allServing();
});

test('stopping Lapis ends sockets that were upgraded and never hung up', async () => {
  const wps = listeners.find((l) => l.name === 'wps-http')!;
  const s = net.connect({ host: '127.0.0.1', port: wps.port });
  await new Promise((r) => s.once('connect', r));
  s.on('error', () => {});
  s.write('GET /client/hubs/1bad HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  await new Promise((r) => s.once('data', r));
  s.write('more bytes nobody asked for');
  const closed = new Promise((r) => s.once('close', r));
  const t0 = Date.now();
  await lapis.stop();
  await closed;
  assert.ok(Date.now() - t0 < 4000, 'stop did not wait for the peer');
});
