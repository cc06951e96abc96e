import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COPY_MAX, FrameQueue } from '../../src/transports/frame-queue.ts';
import { Outbound, type OwnPrefix } from '../../src/transports/index.ts';
import { sequencedJsonPrefix } from '../../src/protocols/webpubsub/encode.ts';
import { sequencedPrefix as protobufPrefix } from '../../src/protocols/webpubsub/protobuf/encode.ts';

/** A stream that records each write, and whether it came corked. */
function recorder() {
  const writes: Array<{ bytes: Buffer; corked: boolean }> = [];
  let corked = 0;
  return {
    writes,
    stream: {
      cork() { corked++; },
      uncork() { corked--; },
      write(b: Buffer) { writes.push({ bytes: Buffer.from(b), corked: corked > 0 }); return true; },
    },
    bytes: () => Buffer.concat(writes.map((w) => w.bytes)),
  };
}

/** What the frames must be on the wire: each built as an `Outbound` would be, framed one by one. */
function expected(frames: Array<[OwnPrefix, number, Buffer] | Outbound>): Buffer {
  return Buffer.concat(frames.flatMap((f) => (f instanceof Outbound ? f : Outbound.withOwnPrefix(f[0], f[1], f[2])).webSocketFrame()));
}

const body = (n: number, fill = 0x61) => Buffer.alloc(n, fill);

test('frame queue: per-socket frames with small bodies leave as one buffer in one uncorked write, byte for byte', () => {
  const q = new FrameQueue();
  const frames: Array<[OwnPrefix, number, Buffer]> = [[sequencedJsonPrefix, 1, body(5)], [sequencedJsonPrefix, 9, body(100)], [sequencedJsonPrefix, 10, body(COPY_MAX)], [sequencedJsonPrefix, 123456789, body(0)]];
  for (const [p, id, b] of frames) q.pushOwnFrame(p, id, b);
  const want = expected(frames);
  assert.equal(q.bytes, want.length);
  const r = recorder();
  q.writeTo(r.stream, true);
  assert.equal(r.writes.length, 1);
  assert.equal(r.writes[0]!.corked, false);
  assert.deepEqual(r.bytes(), want);
  assert.equal(q.empty, true);
  assert.equal(q.bytes, 0);
});

test('frame queue: shared pieces and large bodies are written by reference between copied runs, in order', () => {
  const q = new FrameQueue();
  const shared = Outbound.of(Buffer.from('{"type":"ack","ackId":1,"success":true}'));
  const big = body(COPY_MAX + 1, 0x62);
  const huge = body(70_000, 0x63); // 64-bit length header
  const frames: Array<[OwnPrefix, number, Buffer] | Outbound> = [
    [sequencedJsonPrefix, 1, body(10)], shared, [sequencedJsonPrefix, 2, big], [sequencedJsonPrefix, 3, body(20)],
    [protobufPrefix, 4, body(300)], [protobufPrefix, 5, huge], shared, [sequencedJsonPrefix, 6, body(1)],
  ];
  for (const f of frames) {
    if (f instanceof Outbound) q.push(f.webSocketFrame());
    else q.pushOwnFrame(f[0], f[1], f[2]);
  }
  const want = expected(frames);
  assert.equal(q.bytes, want.length);
  const r = recorder();
  q.writeTo(r.stream, true);
  assert.ok(r.writes.every((w) => w.corked));
  assert.deepEqual(r.bytes(), want);
  // The large bodies are written as they are (not copied), each on its own.
  assert.ok(r.writes.some((w) => w.bytes.length === big.length && w.bytes.equals(big)));
  assert.ok(r.writes.some((w) => w.bytes.length === huge.length && w.bytes.equals(huge)));
});

test('frame queue: only shared pieces are written corked as they are; an unwritable stream gets nothing and the queue empties', () => {
  const q = new FrameQueue();
  const a = Outbound.of(Buffer.from('one'));
  q.push(a.webSocketFrame());
  const r = recorder();
  q.writeTo(r.stream, true);
  assert.deepEqual(r.bytes(), expected([a]));
  assert.equal(r.writes.length, 2);
  q.pushOwnFrame(sequencedJsonPrefix, 1, body(10));
  q.push(a.webSocketFrame());
  const dropped = recorder();
  q.writeTo(dropped.stream, false);
  assert.equal(dropped.writes.length, 0);
  assert.equal(q.empty, true);
  assert.equal(q.bytes, 0);
});

test('frame queue: a body shared by other sockets is never written to', () => {
  const shared = body(50);
  const before = Buffer.from(shared);
  const q1 = new FrameQueue();
  const q2 = new FrameQueue();
  q1.pushOwnFrame(sequencedJsonPrefix, 7, shared);
  q2.pushOwnFrame(protobufPrefix, 8, shared);
  q1.writeTo(recorder().stream, true);
  q2.writeTo(recorder().stream, true);
  assert.deepEqual(shared, before);
});
