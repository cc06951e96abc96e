import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { readSmallFramesDirectly } from '../../src/transports/ws-small-frames.ts';

/** A masked client frame, written raw (so a test controls every bit and how frames share a write). */
function frame(payload: Buffer, opts: { opcode?: number; fin?: boolean; rsv1?: boolean; mask?: number[] } = {}): Buffer {
  const mask = Buffer.from(opts.mask ?? [0x12, 0x34, 0x56, 0x78]);
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = Buffer.alloc(2 + ext + 4 + n);
  out[0] = (opts.fin === false ? 0 : 0x80) | (opts.rsv1 ? 0x40 : 0) | (opts.opcode ?? 1);
  if (ext === 0) out[1] = 0x80 | n;
  else if (ext === 2) { out[1] = 0x80 | 126; out.writeUInt16BE(n, 2); }
  else { out[1] = 0x80 | 127; out.writeBigUInt64BE(BigInt(n), 2); }
  mask.copy(out, 2 + ext);
  for (let i = 0; i < n; i++) out[2 + ext + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

/** A server whose sockets take the fast path; records what the listener got and what `ws` emitted itself. */
async function world(maxPayload = 0) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload });
  await once(wss, 'listening');
  const got: Array<{ text: string; binary: boolean; direct: boolean }> = [];
  const closes: number[] = [];
  let installed = false;
  wss.on('connection', (ws) => {
    let viaWs = false;
    ws.on('message', () => { viaWs = true; });
    const listener = function (this: WebSocket, data: Buffer, isBinary: boolean) {
      assert.equal(this, ws);
      got.push({ text: data.toString('utf8'), binary: isBinary, direct: !viaWs });
      viaWs = false;
    };
    ws.on('message', listener);
    installed = readSmallFramesDirectly(ws, listener);
    ws.on('close', (code) => closes.push(code));
    ws.on('error', () => {});
  });
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await once(client, 'open');
  const raw = (client as unknown as { _socket: Duplex })._socket;
  const clientCloses: number[] = [];
  client.on('close', (code) => clientCloses.push(code));
  return {
    got, closes, clientCloses, raw, client, installed: () => installed,
    async until(n: number) { while (got.length < n) await new Promise((r) => setTimeout(r, 5)); },
    async closed() { while (clientCloses.length === 0) await new Promise((r) => setTimeout(r, 5)); },
    async stop() { client.terminate(); await new Promise<void>((r) => wss.close(() => r())); },
  };
}

test('small frames: a lone small text or binary frame reaches the listener directly, as ws would give it; the rest goes through ws, in order', async () => {
  const w = await world();
  assert.equal(w.installed(), true);
  const ack = '{"type":"sequenceAck","sequenceId":42}';
  w.raw.write(frame(Buffer.from(ack)));
  await w.until(1);
  w.raw.write(frame(Buffer.from([1, 2, 0xff]), { opcode: 2 }));
  await w.until(2);
  w.raw.write(frame(Buffer.from('héllo ✓'))); // valid UTF-8, not ASCII
  await w.until(3);
  w.raw.write(frame(Buffer.alloc(0)));
  await w.until(4);
  // Two frames in one read, a 126-byte frame, a fragmented message: ws's own path.
  w.raw.write(Buffer.concat([frame(Buffer.from('a')), frame(Buffer.from('b'))]));
  w.raw.write(frame(Buffer.alloc(126, 0x63)));
  w.raw.write(frame(Buffer.from('fra'), { fin: false }));
  w.raw.write(frame(Buffer.from('g'), { opcode: 0 }));
  // A frame split across reads: the first part goes to ws, and so must the rest.
  const split = frame(Buffer.from('split'));
  w.raw.write(split.subarray(0, 3));
  await new Promise((r) => setTimeout(r, 30));
  w.raw.write(split.subarray(3));
  await w.until(9);
  w.raw.write(frame(Buffer.from(ack)));
  await w.until(10);
  assert.deepEqual(w.got.map((g) => g.text), [ack, Buffer.from([1, 2, 0xff]).toString('utf8'), 'héllo ✓', '', 'a', 'b', 'c'.repeat(126), 'frag', 'split', ack]);
  assert.deepEqual(w.got.map((g) => g.binary), [false, true, false, false, false, false, false, false, false, false]);
  assert.deepEqual(w.got.map((g) => g.direct), [true, true, true, true, false, false, false, false, false, true]);
  await w.stop();
});

test('small frames: invalid UTF-8 is refused by ws with 1007, as before', async () => {
  const w = await world();
  w.raw.write(frame(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])));
  await w.closed();
  assert.equal(w.clientCloses[0], 1007);
  assert.equal(w.got.length, 0);
  await w.stop();
});

test('small frames: RSV1 without an extension is refused with 1002, past maxPayload with 1009, as before', async () => {
  const a = await world();
  a.raw.write(frame(Buffer.from('x'), { rsv1: true }));
  await a.closed();
  assert.equal(a.clientCloses[0], 1002);
  await a.stop();
  const b = await world(8);
  b.raw.write(frame(Buffer.from('123456789')));
  await b.closed();
  assert.equal(b.clientCloses[0], 1009);
  assert.equal(b.got.length, 0);
  await b.stop();
});

test('small frames: nothing is read after the client\'s close frame', async () => {
  const w = await world();
  w.raw.write(Buffer.concat([frame(Buffer.from([0x03, 0xe8]), { opcode: 8 })]));
  w.raw.write(frame(Buffer.from('late')));
  await w.closed();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(w.got.length, 0);
  await w.stop();
});
