import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { decodeEnvelope, encodeEnvelope, withSender } from '../../src/backplane/redis/index.ts';
import type { Envelope } from '../../src/backplane/redis/index.ts';
import type { ClusterCommand } from '../../src/messaging/index.ts';

const MAX = 64 * 1024;

const commands: ClusterCommand[] = [
  { type: 'send', hub: 'h', target: { scope: 'hub' }, content: { kind: 'webpubsub', payload: { kind: 'binary', data: Buffer.from([0, 255, 7]) }, from: 'server' }, excluded: ['c1'], filter: "userId eq 'u'" },
  { type: 'send', hub: 'h', target: { scope: 'group', group: 'g' }, content: { kind: 'webpubsub', payload: { kind: 'json', data: Buffer.from('{"a":1}') }, from: 'group', group: 'g', fromUserId: 'u' } },
  { type: 'send', hub: 'h', target: { scope: 'user', userId: 'u' }, content: { kind: 'invocation', target: 'method', arguments: [1, 'two', { three: [3] }, null, true] } },
  { type: 'send', hub: 'h', target: { scope: 'connection', connectionId: 'c' }, content: { kind: 'encoded', bytes: { json: Buffer.from('{}\x1e'), messagepack: Buffer.from([1, 2]) } } },
  { type: 'close', hub: 'h', target: { scope: 'user', userId: 'u' }, excluded: ['x'], reason: 'bye' },
  { type: 'addToGroups', hub: 'h', target: { scope: 'hub' }, groups: ['a', 'b'], filter: "'a' in groups" },
  { type: 'removeFromGroups', hub: 'h', target: { scope: 'connection', connectionId: 'c' }, groups: ['a'] },
  { type: 'removeFromAllGroups', hub: 'h', target: { scope: 'user', userId: 'u' } },
  { type: 'grant', hub: 'h', connectionId: 'c', action: 'sendToGroup', group: 'g' },
  { type: 'revoke', hub: 'h', connectionId: 'c', action: 'joinLeaveGroup' },
  { type: 'exists', hub: 'h', target: { scope: 'group', group: 'g' } },
  { type: 'hasPermission', hub: 'h', connectionId: 'c', action: 'joinLeaveGroup', group: 'g' },
  { type: 'listGroup', hub: 'h', group: 'g' },
  { type: 'addUserToGroup', hub: 'h', userId: 'u', group: 'g', ttlSeconds: 30 },
  { type: 'removeUserFromGroup', hub: 'h', userId: 'u' },
  { type: 'userInGroup', hub: 'h', userId: 'u', group: 'g' },
];

test('every command round-trips through MessagePack; bytes come back as Buffers', () => {
  for (const cmd of commands) {
    for (const e of [{ k: 'pub', from: 'n~1', ch: '/r', cmd }, { k: 'req', from: 'n~1', ch: '/r', id: 9, cmd }] as Envelope[]) {
      const d = decodeEnvelope(encodeEnvelope(e), MAX);
      assert.ok(d.ok, `${cmd.type}: ${d.ok ? '' : d.reason}`);
      assert.deepEqual(d.envelope, e);
    }
  }
  const first = decodeEnvelope(encodeEnvelope({ k: 'p2p', from: 'n', ch: 'r', cmd: commands[0]! }), MAX);
  assert.ok(first.ok && first.envelope.k === 'p2p' && first.envelope.cmd.type === 'send' && first.envelope.cmd.content.kind === 'webpubsub');
  if (first.ok && first.envelope.k === 'p2p' && first.envelope.cmd.type === 'send' && first.envelope.cmd.content.kind === 'webpubsub') {
    assert.ok(Buffer.isBuffer(first.envelope.cmd.content.payload.data));
  }
  const reply: Envelope = { k: 'rep', from: 'n', id: 1, res: [{ matched: 2, members: [{ connectionId: 'a', userId: 'u' }, { connectionId: 'b' }] }, { matched: 1, allowed: true, error: 'e' }] };
  const d = decodeEnvelope(encodeEnvelope(reply), MAX);
  assert.ok(d.ok);
  assert.deepEqual(d.envelope, reply);
});

test('refused: over the size limit, not MessagePack, unknown kinds, extra fields, wrong types', () => {
  const ok = encodeEnvelope({ k: 'pub', from: 'n', ch: 'r', cmd: commands[0]! });
  assert.match(String((decodeEnvelope(ok, ok.byteLength - 1) as { reason: string }).reason), /exceeds/);
  const framed = (v: unknown) => withSender('n', encode(v));
  const bad = [
    Buffer.from([0xc1]),
    Buffer.from([]),
    Buffer.from([0]),
    Buffer.from([5, 0x6e]),
    encode({ k: 'rep', from: 'n', id: 1, res: [] }), // no sender header
    withSender('n', Buffer.from([0xc1])),
    framed('text'),
    framed({ k: 'rep', from: 'someone-else', id: 1, res: [] }), // header and envelope disagree
    framed({ k: 'pub', from: 'n', ch: 'r', cmd: { type: 'nuke', hub: 'h' } }),
    framed({ k: 'pub', from: 'n', ch: 'r', cmd: { type: 'listGroup', hub: 'h', group: 'g', extra: 1 } }),
    framed({ k: 'pub', from: 'n', ch: 'r', cmd: { type: 'listGroup', hub: 1, group: 'g' } }),
    framed({ k: 'rep', from: 'n', id: 1.5, res: [] }),
    framed({ k: 'rep', from: 'n', id: 1, res: [{ matched: -1 }] }),
    framed({ k: 'pub', from: 'n', ch: 'r', cmd: { type: 'send', hub: 'h', target: { scope: 'hub' }, content: { kind: 'webpubsub', payload: { kind: 'text', data: 'not bytes' }, from: 'server' } } }),
  ];
  assert.equal(decodeEnvelope(framed({ k: 'rep', from: 'n', id: 1, res: [] }), MAX).ok, true, 'the framing itself is right');
  for (const b of bad) assert.equal(decodeEnvelope(b, MAX).ok, false);
});

test('fuzz: arbitrary bytes never throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
    const d = decodeEnvelope(bytes, MAX);
    assert.equal(typeof d.ok, 'boolean');
  }), { numRuns: 3000 });
});

test('fuzz: arbitrary MessagePack values never throw, and whatever is accepted has the envelope shape', () => {
  const value = fc.anything({ withBigInt: false, withDate: true, withTypedArray: true, withNullPrototype: true, maxDepth: 4 });
  const envelopeLike = fc.record({ k: fc.constantFrom('pub', 'p2p', 'req', 'rep', 'x'), from: fc.constantFrom('n', 'm'), ch: fc.string(), id: fc.oneof(fc.nat(), fc.double()), cmd: value, res: value }, { requiredKeys: ['k'] });
  fc.assert(fc.property(fc.oneof(value, envelopeLike), (v) => {
    let bytes: Uint8Array;
    try { bytes = withSender('n', encode(v)); } catch { return; } // some JS values have no MessagePack form
    const d = decodeEnvelope(bytes, MAX);
    if (d.ok) assert.ok(['pub', 'p2p', 'req', 'rep'].includes(d.envelope.k));
  }), { numRuns: 3000 });
});

test('fuzz: valid envelopes with bytes flipped or cut never throw', () => {
  const encoded = commands.map((cmd) => encodeEnvelope({ k: 'req', from: 'n', ch: 'r', id: 3, cmd }));
  fc.assert(fc.property(fc.nat(encoded.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (i, at, byte, cut) => {
    const src = Buffer.from(encoded[i]!);
    const pos = at % src.length;
    const mutated = cut ? src.subarray(0, pos) : (src[pos] = byte, src);
    const d = decodeEnvelope(mutated, MAX);
    assert.equal(typeof d.ok, 'boolean');
  }), { numRuns: 5000 });
});
