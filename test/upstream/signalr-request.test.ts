/**
 * The SignalR upstream request and response shapes on their own: header values made safe from
 * client-controlled text, the claims header, the disconnected body with an error, signatures
 * following key regeneration, and which upstream answers become which Completion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { encode } from '@msgpack/msgpack';
import { claimsHeader, headerSafe, invocationReply, MAX_HEADER_VALUE, SignatureCache } from '../../src/upstream/index.ts';
import { SignalRRequestBuilder } from '../../src/upstream/signalr/request.ts';

test('header values: control characters become spaces, non-Latin-1 text is sent as UTF-8 bytes, length is bounded', () => {
  assert.equal(headerSafe('a\r\nb\u0000c\td'), 'a  b c\td');
  const sent = headerSafe('名前 é');
  assert.equal(Buffer.from(sent, 'latin1').toString('utf8'), '名前 é', 'the receiver reads the UTF-8 bytes back');
  assert.equal(headerSafe('x'.repeat(MAX_HEADER_VALUE + 10)).length, MAX_HEADER_VALUE);
});

test('claims: `type: value` items joined with `, `; arrays give one item per value; token and system claims left out', () => {
  assert.equal(claimsHeader({ nameid: 'u1', role: ['a', 'b'], 'asrs.s.uid': 'u1', aud: 'x', exp: 1, iat: 1, nbf: 1, custom: { k: 1 }, none: null }),
    'nameid: u1, role: a, role: b, custom: {"k":1}');
  assert.equal(claimsHeader({}), '');
});

test('requests: disconnected carries the error; signatures follow regenerated keys; headers are cached per connection', () => {
  const keys = { primaryKey: 'k1', secondaryKey: 'k2' };
  const b = new SignalRRequestBuilder(new SignatureCache(), () => keys);
  const info = { hub: 'chat', connectionId: 'c-1', identity: { userId: 'u\r\n1', claims: { nameid: 'u1' } }, query: '?hub=chat&a=1' };
  const d = b.disconnected(info, 'The client went away.');
  assert.deepEqual(JSON.parse(d.body.toString()), { Type: 11, Error: 'The client went away.' });
  assert.equal(d.blocking, false);
  assert.equal(d.headers['X-ASRS-User-Id'], 'u  1', 'no header injection from a user id');
  const sig = (k: string) => `sha256=${createHmac('sha256', k).update('c-1').digest('hex')}`;
  assert.equal(d.headers['X-ASRS-Signature'], `${sig('k1')},${sig('k2')}`);
  keys.secondaryKey = 'k3';
  const m = b.invocation(info, 'echo', 'application/json', Buffer.from('{}'), true);
  assert.equal(m.headers['X-ASRS-Signature'], `${sig('k1')},${sig('k3')}`, 'a regenerated key signs the next request');
  assert.equal(m.headers['X-ASRS-Category'], 'messages');
  assert.equal(m.blocking, true);
  keys.primaryKey = '';
  assert.equal(b.connected(info).headers['X-ASRS-Signature'], sig('k3'), 'an empty key signs nothing');
});

test('answers: framed Completions pass as they are; empty/204 → void; other status → error; broken bodies → error', () => {
  const json = Buffer.from('{"type":3,"invocationId":"1","result":5}\u001e');
  assert.deepEqual(invocationReply('json', '1', 200, json), { framed: json });
  const body = Buffer.from(encode([3, {}, '1', 3, 5]));
  const mp = Buffer.concat([Buffer.from([body.length]), body]);
  assert.deepEqual(invocationReply('messagepack', '1', 200, mp), { framed: mp });
  assert.deepEqual(invocationReply('json', '1', 200, Buffer.alloc(0)), { completion: { type: 3, invocationId: '1', resultKind: 'void' } });
  assert.deepEqual(invocationReply('json', '1', 204, Buffer.from('ignored')), { completion: { type: 3, invocationId: '1', resultKind: 'void' } });
  assert.deepEqual(invocationReply('json', '1', 401, Buffer.alloc(0)), { completion: { type: 3, invocationId: '1', resultKind: 'error', error: 'Invocation failed, status code 401' } });
  for (const [protocol, bad] of [['json', '{"type":3,"invocationId":"1"}'], ['json', 'not json\u001e'], ['messagepack', Buffer.from([10, 1, 2])], ['messagepack', body], ['json', '{"type":3,"invocationId":"2","result":5}\u001e'], ['json', '{"type":6}\u001e']] as const) {
    const r = invocationReply(protocol, '1', 200, Buffer.from(bad));
    assert.ok('completion' in r && r.completion.resultKind === 'error' && /not a framed/.test(r.completion.error), `${protocol} ${String(bad)}`);
  }
});
