/**
 * Framing and error paths: messages split or merged at every offset, the bounded partial buffer,
 * malformed prefixes and bodies, unknown types skipped, the reader staying failed after an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ServiceMessageReader,
  ServiceProtocolError,
  ackIdOf,
  ackMessage,
  isAckable,
  openConnectionMessage,
  decodeServiceMessageBody,
  encodeServiceMessages,
  frame,
  handshakeRefusal,
  pingEntries,
  pingWith,
  readVarIntPrefix,
  varIntPrefix,
} from '../../../src/protocols/signalr-service/index.ts';
import type { ServiceMessage } from '../../../src/protocols/signalr-service/index.ts';
import { MsgpackWriter } from '../../../src/protocols/signalr-service/msgpack-writer.ts';
import { SAMPLES } from './samples.ts';

const plain = <T>(v: T): T => structuredClone(v);

/** A raw body written field by field, for layouts the encoder would never produce. */
function body(write: (w: MsgpackWriter) => void): Uint8Array {
  const w = new MsgpackWriter();
  write(w);
  return w.bytes().slice();
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

const big: ServiceMessage = { kind: 'ConnectionData', connectionId: 'c1', payload: new Uint8Array(300).fill(7), ext: {} };
const STREAM_MESSAGES: ServiceMessage[] = [SAMPLES.Ping.message, big, SAMPLES.OpenConnection.message, SAMPLES.Broadcast.message, SAMPLES.Ack.message];

test('VarInt prefixes: 1 to 5 bytes, 2^31 - 1 at most', () => {
  for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28, 2 ** 31 - 1]) {
    const p = varIntPrefix(n);
    assert.deepEqual(readVarIntPrefix(p, 0), { length: n, size: p.length }, String(n));
  }
  assert.deepEqual([...varIntPrefix(300)], [0xac, 0x02]);
  assert.equal(readVarIntPrefix(Uint8Array.from([0x80, 0x80]), 0), 'incomplete');
  const tooBig = readVarIntPrefix(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x08]), 0);
  assert.ok(tooBig instanceof ServiceProtocolError && tooBig.code === 'InvalidFraming');
});

test('a stream split into two chunks at every offset yields the same messages', () => {
  const stream = encodeServiceMessages(STREAM_MESSAGES);
  for (let cut = 0; cut <= stream.length; cut++) {
    const r = new ServiceMessageReader();
    const a = r.push(stream.slice(0, cut));
    const b = r.push(stream.slice(cut));
    assert.equal(a.error ?? b.error, undefined, `cut ${cut}`);
    assert.deepEqual(plain([...a.messages, ...b.messages]), plain(STREAM_MESSAGES), `cut ${cut}`);
    assert.equal(r.pendingBytes, 0);
  }
});

test('a stream fed one byte at a time, and a 20,000-byte message split at every 997th byte', () => {
  const stream = encodeServiceMessages(STREAM_MESSAGES);
  const r = new ServiceMessageReader();
  const got: ServiceMessage[] = [];
  for (const byte of stream) {
    const out = r.push(Uint8Array.of(byte));
    assert.equal(out.error, undefined);
    got.push(...out.messages);
    assert.ok(r.pendingBytes <= 300 + 64);
  }
  assert.deepEqual(plain(got), plain(STREAM_MESSAGES));

  const huge: ServiceMessage = { kind: 'ConnectionData', connectionId: 'c', payload: new Uint8Array(20000).fill(1), ext: {} };
  const bytes = encodeServiceMessages([huge, SAMPLES.Ping.message]);
  assert.equal(readVarIntPrefix(bytes, 0) instanceof ServiceProtocolError, false);
  const r2 = new ServiceMessageReader();
  const all: ServiceMessage[] = [];
  for (let i = 0; i < bytes.length; i += 997) all.push(...r2.push(bytes.slice(i, i + 997)).messages);
  assert.deepEqual(plain(all), plain([huge, SAMPLES.Ping.message]));
});

test('a message over the limit fails at its prefix, before its body is buffered', () => {
  const r = new ServiceMessageReader({ maxMessageBytes: 100 });
  const ok = encodeServiceMessages([SAMPLES.Ping.message]);
  const over = frame(new Uint8Array(101));
  const out = r.push(concat(ok, over.subarray(0, 3)));
  assert.equal(out.messages.length, 1, 'messages before the bad one are delivered');
  assert.equal(out.error?.code, 'MessageTooLarge');
  assert.equal(r.pendingBytes, 0);
  assert.equal(r.push(ok).error?.code, 'ReaderFailed');

  // The same when the prefix itself arrives split.
  const r2 = new ServiceMessageReader({ maxMessageBytes: 200 });
  const over2 = frame(new Uint8Array(201)); // two-byte prefix c9 01
  assert.equal(r2.push(over2.subarray(0, 1)).error, undefined);
  assert.equal(r2.push(over2.subarray(1, 3)).error?.code, 'MessageTooLarge');
  assert.equal(r2.pendingBytes, 0);
  // Exactly at the limit is fine.
  const atLimit = encodeServiceMessages([{ kind: 'ConnectionData', connectionId: 'c', payload: new Uint8Array(100 - 7), ext: {} }]);
  assert.equal(readVarIntPrefix(atLimit, 0) instanceof ServiceProtocolError ? -1 : (readVarIntPrefix(atLimit, 0) as { length: number }).length, 100);
  assert.equal(new ServiceMessageReader({ maxMessageBytes: 100 }).push(atLimit).messages.length, 1);
});

test('malformed prefixes are InvalidFraming; an empty body is InvalidMessage', () => {
  for (const bad of [[0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x80, 0x80, 0x08]]) {
    const out = new ServiceMessageReader({ maxMessageBytes: 2 ** 31 }).push(Uint8Array.from(bad));
    assert.equal(out.error?.code, 'InvalidFraming', JSON.stringify(bad));
  }
  assert.equal(new ServiceMessageReader().push(Uint8Array.of(0x00)).error?.code, 'InvalidMessage');
});

test('unknown message types are skipped and their neighbours still decode', () => {
  const unknown = frame(body((w) => { w.arrayHeader(3); w.integer(99); w.string('future'); w.mapHeader(0); }));
  const stream = concat(encodeServiceMessages([SAMPLES.Ping.message]), unknown, encodeServiceMessages([SAMPLES.Ack.message]));
  const out = new ServiceMessageReader().push(stream);
  assert.equal(out.error, undefined);
  assert.deepEqual(out.skippedTypes, [99]);
  assert.deepEqual(plain(out.messages), plain([SAMPLES.Ping.message, SAMPLES.Ack.message]));
});

test('extra trailing elements (any value) and scalar unknown extension members are ignored', () => {
  const m = decodeServiceMessageBody(body((w) => {
    w.arrayHeader(7); w.integer(6); w.string('c'); w.bytesValue(Uint8Array.of(1));
    w.mapHeader(2); w.integer(9); w.bytesValue(Uint8Array.of(2)); w.integer(5); w.integer(2);
    w.arrayHeader(2); w.arrayHeader(1); w.mapHeader(1); w.string('a'); w.nil();
    w.string('appended by a newer SDK'); w.integer(1);
  }));
  assert.deepEqual(plain(m), { kind: 'ConnectionData', connectionId: 'c', payload: Uint8Array.of(1), ext: { dataMessageType: 2 } });
});

test('leniencies of the 1.34 reader: ext members of another type skipped, a string as payload, repeated payload names', () => {
  // JoinGroup has no protocol member, so the SDK skips key 3 whatever its type.
  const join = decodeServiceMessageBody(body((w) => { w.arrayHeader(4); w.integer(11); w.string('c'); w.string('g'); w.mapHeader(2); w.integer(3); w.integer(5); w.integer(1); w.string('x'); }));
  assert.deepEqual(join, { kind: 'JoinGroup', connectionId: 'c', groupName: 'g', ext: {} });
  const data = decodeServiceMessageBody(body((w) => { w.arrayHeader(4); w.integer(6); w.string('c'); w.string('abc'); w.mapHeader(0); }));
  assert.deepEqual(plain(data), { kind: 'ConnectionData', connectionId: 'c', payload: new TextEncoder().encode('abc'), ext: {} });
  const dup = decodeServiceMessageBody(body((w) => { w.arrayHeader(4); w.integer(10); w.arrayHeader(0); w.mapHeader(2); w.string('json'); w.bytesValue(Uint8Array.of(1)); w.string('JSON'); w.bytesValue(Uint8Array.of(2)); w.mapHeader(0); }));
  assert.ok(dup && !(dup instanceof ServiceProtocolError) && dup.kind === 'Broadcast');
  assert.equal(dup.payloads.size, 2);
});

test('layout violations are InvalidMessage, truncation is InvalidEncoding, each naming the field', () => {
  const cases: [string, Uint8Array, string, RegExp][] = [
    ['connection id not a string', body((w) => { w.arrayHeader(4); w.integer(6); w.integer(1); w.bytesValue(Uint8Array.of()); w.mapHeader(0); }), 'InvalidMessage', /connectionId/],
    ['nil connection id', body((w) => { w.arrayHeader(4); w.integer(6); w.nil(); w.bytesValue(Uint8Array.of()); w.mapHeader(0); }), 'InvalidMessage', /connectionId/],
    ['too few elements', body((w) => { w.arrayHeader(3); w.integer(18); w.string('c'); w.string('g'); }), 'InvalidMessage', /JoinGroupWithAck needs at least 4/],
    ['ack id beyond Int32', body((w) => { w.arrayHeader(5); w.integer(18); w.string('c'); w.string('g'); w.integer(2 ** 31); w.mapHeader(0); }), 'InvalidMessage', /ackId/],
    ['type not an integer', body((w) => { w.arrayHeader(1); w.string('6'); }), 'InvalidMessage', /messageType/],
    ['not an array', body((w) => { w.mapHeader(0); }), 'InvalidMessage', /array/],
    ['nil string list', body((w) => { w.arrayHeader(4); w.integer(10); w.nil(); w.mapHeader(0); w.mapHeader(0); }), 'InvalidMessage', /excludedList/],
    ['nil RefreshAuth expiry', body((w) => { w.arrayHeader(6); w.integer(41); w.string('t'); w.mapHeader(0); w.nil(); w.integer(1); w.mapHeader(0); }), 'InvalidMessage', /expireTime/],
    ['GetConnectionClaims without ext', body((w) => { w.arrayHeader(3); w.integer(42); w.string('t'); w.integer(1); }), 'InvalidMessage', /needs at least 4/],
    ['repeated header', body((w) => { w.arrayHeader(5); w.integer(5); w.string('c'); w.nil(); w.mapHeader(2); w.string('A'); w.arrayHeader(0); w.string('a'); w.arrayHeader(0); w.mapHeader(0); }), 'InvalidMessage', /repeats the header/],
    ['nil claim value', body((w) => { w.arrayHeader(3); w.integer(4); w.string('c'); w.mapHeader(1); w.string('role'); w.nil(); }), 'InvalidMessage', /claims\[0\]\.Value/],
    ['flow control operation 9', body((w) => { w.arrayHeader(5); w.integer(39); w.string('c'); w.integer(1); w.integer(9); w.mapHeader(0); }), 'InvalidMessage', /Unsupported operation/],
    ['array as an unknown extension member', body((w) => { w.arrayHeader(4); w.integer(11); w.string('c'); w.string('g'); w.mapHeader(1); w.integer(9); w.arrayHeader(0); }), 'InvalidMessage', /No complex data/],
    ['nil connection token', body((w) => { w.arrayHeader(4); w.integer(42); w.nil(); w.integer(1); w.mapHeader(0); }), 'InvalidMessage', /connectionToken/],
    ['ext key not an integer', body((w) => { w.arrayHeader(4); w.integer(11); w.string('c'); w.string('g'); w.mapHeader(1); w.string('k'); w.integer(1); }), 'InvalidMessage', /ext key/],
    ['array header past the end', Uint8Array.of(0x94, 0x06, 0xa1, 0x63), 'InvalidEncoding', /ends inside/],
    ['string past the end', Uint8Array.of(0x93, 0x06, 0xa5, 0x63), 'InvalidEncoding', /ends inside/],
    ['reserved byte 0xc1 in a skipped member', Uint8Array.of(0x94, 0x06, 0xa1, 0x63, 0xc4, 0x00, 0x81, 0x09, 0xc1), 'InvalidEncoding', /0xc1/],
    ['flow control needs no ext, but a bad enum fails', Uint8Array.of(0x94, 0x27, 0xa1, 0x63, 0x01, 0x05), 'InvalidMessage', /Unsupported operation: 5/],
  ];
  for (const [name, bytes, code, detail] of cases) {
    const result = decodeServiceMessageBody(bytes);
    assert.ok(result instanceof ServiceProtocolError, name);
    assert.equal(result.code, code, name);
    assert.match(result.detail, detail, name);
  }
});

test('ack helpers: every *WithAck and query kind has an ack id, the Ack itself has none', () => {
  const ackable = Object.values(SAMPLES).map((s) => s.message).filter(isAckable).map((m) => m.kind).sort();
  assert.deepEqual(ackable, ['CheckConnectionExistenceWithAck', 'CheckGroupExistenceWithAck', 'CheckUserExistenceWithAck', 'CheckUserInGroupWithAck',
    'CloseConnectionWithAck', 'CloseConnectionsWithAck', 'CloseGroupConnectionsWithAck', 'CloseUserConnectionsWithAck', 'GetConnectionClaims',
    'GroupMemberQuery', 'JoinGroupWithAck', 'LeaveGroupWithAck', 'RefreshAuth', 'UserJoinGroupWithAck', 'UserLeaveGroupWithAck']);
  assert.equal(ackIdOf(SAMPLES.JoinGroupWithAck.message), 5);
  assert.equal(ackIdOf(SAMPLES.Ack.message), undefined);
  assert.deepEqual(ackMessage(7, 2), { kind: 'Ack', ackId: 7, status: 2, message: '', ext: {} });
  const open = openConnectionMessage({ connectionId: 'c', claims: [], headers: new Map(), queryString: '?a=1', protocol: 'messagepack' });
  assert.deepEqual(open.ext, { protocol: 'messagepack' });
});

test('handshake checks and ping helpers', () => {
  const hs = SAMPLES.HandshakeRequest.message;
  assert.equal(hs.kind, 'HandshakeRequest');
  if (hs.kind !== 'HandshakeRequest') return;
  assert.equal(handshakeRefusal(hs), undefined);
  assert.match(handshakeRefusal({ ...hs, version: 2 }) ?? '', /version 2 is not supported/);
  assert.match(handshakeRefusal({ ...hs, connectionType: 7 }) ?? '', /connection type 7/);
  const ping = pingWith(['status', '1'], ['echo', 'x']);
  assert.deepEqual(ping.messages, ['status', '1', 'echo', 'x']);
  assert.deepEqual(pingEntries({ kind: 'Ping', messages: ['#client', '3', 'odd'] }), [['#client', '3'], ['odd', null]]);
});
