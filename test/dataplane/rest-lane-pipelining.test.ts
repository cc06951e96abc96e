/**
 * Pipelined sends on one connection (src/net/write-batch.ts via the REST lane): the answers of one
 * turn leave together, in request order, fastify's answers in between included; a `Connection:
 * close` at the end still gets every answer before the connection ends; and a peer that stops
 * reading sees the same back-pressure as without batching.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { SignJWT } from 'jose';
import { PRIMARY } from './helpers.ts';
import { laneWorld } from './lane-world.ts';
import { holdWritesThisTurn, MAX_HELD_BYTES } from '../../src/net/write-batch.ts';
import { createClientCert } from '../helpers/certs.ts';

const lapis = () => laneWorld();

async function sendRequest(port: number, path: string, rid: string, body: string, extra = ''): Promise<string> {
  const origin = `http://127.0.0.1:${port}`;
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setAudience(`${origin}${path}`).setExpirationTime('1h').sign(new TextEncoder().encode(PRIMARY));
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
    `x-ms-client-request-id: ${rid}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

/** Reads HTTP/1.1 answers (Content-Length framed) until the socket ends; [status, request id, body]. */
async function readAnswers(socket: Socket): Promise<[number, string, string][]> {
  let all = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => { all += d; });
  await once(socket, 'end');
  const out: [number, string, string][] = [];
  while (all.length > 0) {
    const headEnd = all.indexOf('\r\n\r\n');
    const head = all.slice(0, headEnd);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)![1]);
    out.push([Number(head.slice(9, 12)), /\r\nx-ms-client-request-id: ([^\r]*)/i.exec(head)?.[1] ?? '', all.slice(headEnd + 4, headEnd + 4 + length)]);
    all = all.slice(headEnd + 4 + length);
  }
  return out;
}

test('pipelined sends are answered in order, fastify answers in between, and a final Connection: close ends after every answer', async () => {
  const l = await lapis();
  try {
    const port = l.listener.port;
    const path = '/api/hubs/chat/users/alice/:send?api-version=2024-01-01';
    const parts: string[] = [];
    const expected: [number, string][] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 10) {
        parts.push(await sendRequest(port, path, `r${i}`, '{"a":1}', 'Origin: http://elsewhere.example\r\n')); // fastify's path
        expected.push([202, `r${i}`]);
      } else if (i === 20) {
        parts.push(await sendRequest(port, path, `r${i}`, '{"a":')); // invalid JSON: a 400 with a body, from the lane
        expected.push([400, `r${i}`]);
      } else {
        parts.push(await sendRequest(port, path, `r${i}`, `{"n":${i}}`, i === 39 ? 'Connection: close\r\n' : ''));
        expected.push([202, `r${i}`]);
      }
    }
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const answers = readAnswers(socket);
    socket.write(parts.join(''));
    const got = await answers;
    assert.deepEqual(got.map(([s, r]) => [s, r]), expected);
    assert.match(got[20]![2], /InvalidRequest|invalid|JSON/i);
    assert.equal(l.lane(), 39, 'all but the Origin request took the lane');
  } finally {
    await l.close();
  }
});

test('held writes keep their order and surface back-pressure when the peer stops reading', async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  const [s] = (await once(server, 'connection')) as [Socket];
  try {
    client.pause();
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let n = 0;
    let pushedBack = false;
    // Turn after turn, as a pipelining client would cause: the peer reads nothing meanwhile.
    while (!pushedBack && n < 4096) {
      holdWritesThisTurn(s);
      for (let i = 0; i < 8 && !pushedBack; i++) {
        const stamp = Buffer.from(String(n++).padStart(8, '0'));
        pushedBack = !s.write(Buffer.concat([stamp, chunk.subarray(8)]));
      }
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(pushedBack, 'write() returned false: the kernel queue filled and the held writes waited for it');
    assert.ok(n * chunk.length < 64 * 1024 * 1024, `back-pressure came after ${n} chunks`);
    assert.ok(MAX_HELD_BYTES <= 64 * 1024);
    s.end();
    let received = Buffer.alloc(0);
    client.on('data', (d: Buffer) => { received = Buffer.concat([received, d]); });
    client.resume();
    await once(client, 'end');
    assert.equal(received.length, n * chunk.length);
    for (let i = 0; i < n; i++) assert.equal(received.subarray(i * chunk.length, i * chunk.length + 8).toString(), String(i).padStart(8, '0'));
  } finally {
    client.destroy();
    s.destroy();
    server.close();
  }
});

test('over TLS too: held writes of several turns arrive whole and in order before the end', async () => {
  const { certPem, keyPem } = await createClientCert('localhost');
  const server = createTlsServer({ cert: certPem, key: keyPem });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'secureConnection');
  const client = tlsConnect({ port: (server.address() as { port: number }).port, host: '127.0.0.1', rejectUnauthorized: false });
  const [s] = (await accepted) as [TLSSocket];
  try {
    let received = '';
    client.setEncoding('latin1');
    client.on('data', (d: string) => { received += d; });
    const ended = once(client, 'end');
    const expected: string[] = [];
    for (let turn = 0; turn < 5; turn++) {
      holdWritesThisTurn(s);
      for (let i = 0; i < 20; i++) {
        const line = `turn ${turn} answer ${i}\n`;
        expected.push(line);
        s.write(i % 2 === 0 ? line : Buffer.from(line, 'latin1'));
      }
      if (turn === 4) s.end();
      await new Promise((r) => setImmediate(r));
    }
    await ended;
    assert.equal(received, expected.join(''));
  } finally {
    client.destroy();
    s.destroy();
    server.close();
  }
});
