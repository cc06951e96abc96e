/**
 * Random pipelined REST traffic against the lane's write batching (src/net/write-batch.ts), over
 * plain HTTP and TLS: 1–60 sends per connection written in random pieces, bodies past the held-bytes
 * limit, invalid JSON (a 400 from the lane), requests fastify answers (an Origin header), clients
 * that read late or vanish mid-stream. The process must survive every connection, and every
 * connection that stays must get all its answers, in order. Before the fix in 26b5ab0 the TLS case
 * aborted the process (TLSWrap's `!current_write_` assertion) on every seed tried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { once } from 'node:events';
import { SignJWT } from 'jose';
import { PRIMARY } from './helpers.ts';
import { laneWorld } from './lane-world.ts';

// Deterministic (SEED overrides it to explore).
let seed = Number(process.env.SEED ?? 12345);
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const pick = (n: number) => Math.floor(rnd() * n);

for (const secure of [false, true]) {
  test(`random pipelined sends over ${secure ? 'TLS' : 'plain HTTP'}: the process lives, every connection that stays gets all its answers in order`, { timeout: 120_000 }, async () => {
    const w = await laneWorld({ tls: secure });
    const listener = w.listener;
    const port = listener.port;
    const origin = `${secure ? 'https' : 'http'}://127.0.0.1:${port}`;
    const path = '/api/hubs/chat/users/alice/:send?api-version=2024-01-01';
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setAudience(`${origin}${path}`).setExpirationTime('1h').sign(new TextEncoder().encode(PRIMARY));
    let checked = 0;
    const one = async (c: number) => {
      const n = 1 + pick(60);
      const abortAt = rnd() < 0.25 ? pick(n) : -1;
      const slow = rnd() < 0.2;
      let stream = '';
      for (let i = 0; i < n; i++) {
        const big = rnd() < 0.05;
        const body = big ? `"${'x'.repeat(70_000 + pick(40_000))}"` : rnd() < 0.1 ? '{"a":' : `{"n":${i}}`;
        const extra = (rnd() < 0.1 ? 'Origin: http://elsewhere.example\r\n' : '') + (i === n - 1 ? 'Connection: close\r\n' : '');
        stream += `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nx-ms-client-request-id: c${c}r${i}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
      }
      const s: Socket = secure ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : netConnect(port, '127.0.0.1');
      s.on('error', () => {});
      await once(s, secure ? 'secureConnect' : 'connect');
      let all = '';
      s.setEncoding('latin1');
      if (slow) { s.pause(); setTimeout(() => s.resume(), 50 + pick(300)); }
      s.on('data', (d: string) => { all += d; });
      const ended = Promise.race([once(s, 'end'), once(s, 'close')]);
      // Written in random pieces.
      let at = 0;
      while (at < stream.length) {
        const len = 1 + pick(Math.min(stream.length - at, 20_000));
        s.write(stream.slice(at, at + len));
        at += len;
        if (rnd() < 0.3) await new Promise((r) => setImmediate(r));
        if (abortAt >= 0 && at > stream.length * (abortAt / n)) { s.destroy(); return; }
      }
      await ended;
      const ids = [...all.matchAll(/x-ms-client-request-id: (c\d+r\d+)/gi)].map((m) => m[1]);
      assert.deepEqual(ids, Array.from({ length: n }, (_, i) => `c${c}r${i}`), `connection ${c}`);
      checked++;
    };
    const runs: Promise<void>[] = [];
    for (let c = 0; c < 150; c++) { runs.push(one(c)); if (c % 10 === 9) await Promise.all(runs.splice(0)); }
    await Promise.all(runs);
    assert.ok(checked > 50, `${checked} connections checked to the end`);
    await w.close();
  });
}
