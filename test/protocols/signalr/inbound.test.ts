/** HubInbound: handshake then messages then violations, as one session sees a connection. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMsgpackMessage, HubInbound } from '../../../src/protocols/signalr/index.ts';
import { officialDecode } from './codecs.ts';

const both = { transferFormats: ['Text', 'Binary'] as const };

test('handshake and first messages in one chunk: reply first, then the messages', () => {
  const inbound = new HubInbound(both);
  const events = inbound.push('{"protocol":"json","version":1}\u001e{"type":6}\u001e{"type":1,"target":"a","arguments":[]}\u001e');
  assert.deepStrictEqual(events.map((e) => e.kind), ['handshake', 'messages']);
  const [handshake, messages] = [events[0]!, events[1]!];
  assert.equal(handshake.kind === 'handshake' && handshake.reply.toString(), '{}\u001e');
  assert.equal(messages.kind === 'messages' && messages.frames.length, 2);
  assert.equal(inbound.protocol, 'json');
});

test('MessagePack: text-frame handshake (as the JS client sends it), then binary frames only', () => {
  const inbound = new HubInbound(both);
  assert.deepStrictEqual(inbound.push('{"protocol":"messagepack"').map((e) => e.kind), []);
  assert.deepStrictEqual(inbound.push(',"version":1}\u001e').map((e) => e.kind), ['handshake']);
  assert.deepStrictEqual(inbound.push(encodeMsgpackMessage({ type: 6 })).map((e) => e.kind), ['messages']);
  const violation = inbound.push('{"type":6}\u001e')[0]!;
  assert.equal(violation.kind, 'violation');
  if (violation.kind !== 'violation') return;
  assert.equal(violation.error.code, 'TextFrameOnBinaryProtocol');
  const [close] = officialDecode('messagepack', violation.close) as unknown as Array<Record<string, unknown>>;
  assert.equal(close!['type'], 7);
  assert.match(String(close!['error']), /^Connection closed with an error\. InvalidDataException: /);
  assert.equal(inbound.ended, true);
  assert.deepStrictEqual(inbound.push(encodeMsgpackMessage({ type: 6 })), []);
});

test('refused handshakes give the reply to send and end the connection', () => {
  const cases: Array<[string, readonly ('Text' | 'Binary')[], string]> = [
    ['{"protocol":"blazorpack","version":1}\u001e', ['Text', 'Binary'], "Requested protocol 'blazorpack' is not available."],
    ['{"protocol":"messagepack","version":1}\u001e', ['Text'], "Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."],
    ['{"protocol":"json","version":9}\u001e', ['Text'], "The server does not support version 9 of the 'json' protocol."],
    ['{"version":1}\u001e', ['Text'], "An unexpected error occurred during connection handshake. InvalidDataException: Missing required property 'protocol'."],
  ];
  for (const [request, transferFormats, error] of cases) {
    const inbound = new HubInbound({ transferFormats });
    const [first, ...more] = inbound.push(request);
    const event = first!;
    assert.equal(more.length, 0);
    assert.deepStrictEqual(event.kind === 'handshake-failed' && [event.error, JSON.parse(event.reply.toString().slice(0, -1))], [error, { error }]);
    assert.equal(inbound.ended, true);
  }
});

test('a violation in the same chunk as valid messages delivers those first', () => {
  const inbound = new HubInbound({ ...both, maxMessageBytes: 64 });
  const events = inbound.push(`{"protocol":"json","version":1}\u001e{"type":6}\u001e{"type":1,"target":"${'x'.repeat(80)}"`);
  assert.deepStrictEqual(events.map((e) => e.kind), ['handshake', 'messages', 'violation']);
  const last = events[2]!;
  assert.equal(last.kind === 'violation' && last.error.code, 'MessageTooLarge');
});
