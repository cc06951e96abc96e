/**
 * Differential fuzzing of the small-frame path (src/transports/ws-small-frames.ts) against `ws`
 * alone: random reads — whole small frames (what the path takes, or must leave to `ws`: invalid UTF-8, over
 * `maxPayload`), frame-shaped reads (text, binary, control and reserved opcodes, RSV bits,
 * masked or not, lengths right, short or long, valid and invalid UTF-8), some plain noise — are
 * written as one chunk to a server socket with the path and to one without it, followed by a
 * sentinel frame. Both must give the listener the same messages and end with the same close code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import fc from 'fast-check';
import { WebSocket, WebSocketServer } from 'ws';
import { readSmallFramesDirectly } from '../../src/transports/ws-small-frames.ts';

const SENTINEL = Buffer.from([0x81, 0x83, 1, 2, 3, 4, 0x45 ^ 1, 0x4e ^ 2, 0x44 ^ 3]); // masked text "END"

interface Outcome { messages: string[]; close: number | undefined }

async function server(fast: boolean) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 64 });
  await once(wss, 'listening');
  let current: Outcome = { messages: [], close: undefined };
  wss.on('connection', (ws) => {
    const out = current;
    const listener = (data: Buffer, isBinary: boolean) => { out.messages.push(`${isBinary ? 'b' : 't'}:${data.toString('hex')}`); };
    ws.on('message', listener);
    if (fast) assert.equal(readSmallFramesDirectly(ws, listener), true);
    ws.on('error', () => {});
  });
  return {
    async run(chunk: Buffer): Promise<Outcome> {
      current = { messages: [], close: undefined };
      const out = current;
      const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
      client.on('error', () => {});
      await once(client, 'open');
      const raw = (client as unknown as { _socket: Duplex })._socket;
      const closed = new Promise<void>((r) => client.on('close', (code) => { out.close = code; r(); }));
      raw.write(chunk);
      await new Promise((r) => setTimeout(r, 2));
      if (out.close === undefined) raw.write(SENTINEL);
      const sentinel = `t:${Buffer.from('END').toString('hex')}`;
      await Promise.race([closed, (async () => { for (let i = 0; i < 40 && !out.messages.includes(sentinel); i++) await new Promise((r) => setTimeout(r, 5)); })()]);
      // What the server did before the client gives up; the client's own terminate is not part of it.
      const outcome = { messages: [...out.messages], close: out.close };
      client.terminate();
      await closed;
      return outcome;
    },
    close: () => new Promise<void>((r) => wss.close(() => r())),
  };
}

const frameLike = fc.record({
  fin: fc.boolean(), rsv: fc.constantFrom(0, 0, 0, 0x40, 0x20, 0x10), opcode: fc.constantFrom(0, 1, 1, 2, 2, 3, 8, 9, 10, 15),
  masked: fc.constantFrom(true, true, true, false), mask: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  payload: fc.oneof(fc.uint8Array({ maxLength: 130 }), fc.string({ maxLength: 40 }).map((s) => new TextEncoder().encode(s))),
  lengthDelta: fc.constantFrom(0, 0, 0, 0, -1, 1, 5), trailing: fc.uint8Array({ maxLength: 3 }),
}).map((f) => {
  const n = f.payload.length;
  const declared = Math.max(0, Math.min(125, n + f.lengthDelta));
  const head = Buffer.from([(f.fin ? 0x80 : 0) | f.rsv | f.opcode, (f.masked ? 0x80 : 0) | declared]);
  const body = Buffer.from(f.payload.map((b, i) => (f.masked ? b ^ f.mask[i & 3]! : b)));
  return Buffer.concat([head, f.masked ? Buffer.from(f.mask) : Buffer.alloc(0), body, Buffer.from(f.trailing)]);
});

/** One whole, final, masked text or binary frame of up to 130 bytes: what the path takes or refuses. */
const wellFormed = fc.record({
  opcode: fc.constantFrom(1, 2), mask: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  payload: fc.oneof(fc.uint8Array({ maxLength: 130 }), fc.uint8Array({ minLength: 60, maxLength: 125 }), fc.string({ maxLength: 60 }).map((s) => new TextEncoder().encode(s)), fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => new TextEncoder().encode(s))),
}).map((f) => {
  const n = Math.min(f.payload.length, 125);
  const body = Buffer.from(f.payload.subarray(0, n).map((b, i) => b ^ f.mask[i & 3]!));
  return Buffer.concat([Buffer.from([0x80 | f.opcode, 0x80 | n]), Buffer.from(f.mask), body]);
});

test('small frames: for random reads, the listener gets what ws alone gives and the close code is the same', { timeout: 120_000 }, async () => {
  const plain = await server(false);
  const fast = await server(true);
  try {
    await fc.assert(fc.asyncProperty(fc.oneof(wellFormed, wellFormed, frameLike, frameLike, fc.uint8Array({ minLength: 1, maxLength: 140 }).map((b) => Buffer.from(b))), async (chunk) => {
      const a = await plain.run(Buffer.from(chunk));
      const b = await fast.run(Buffer.from(chunk));
      assert.deepEqual(b, a, `read ${chunk.toString('hex')}`);
    }), { numRuns: Number(process.env.RUNS ?? 300), seed: Number(process.env.SEED ?? 20261207) });
  } finally {
    await plain.close();
    await fast.close();
  }
});
