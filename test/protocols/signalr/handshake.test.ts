/**
 * Handshake: request parsing across chunks, the reply bytes the official client accepts, and the
 * error texts for unknown protocols, versions and transfer formats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import type { HandshakeProtocol as OfficialHandshake } from '@microsoft/signalr/dist/esm/HandshakeProtocol.js';
import {
  encodeJsonMessage,
  encodeMsgpackMessage,
  HandshakeReader,
  handshakeFailureText,
  handshakeResponse,
  HubMessageReader,
  HubProtocolError,
  selectProtocol,
} from '../../../src/protocols/signalr/index.ts';
import type { HandshakeResult } from '../../../src/protocols/signalr/index.ts';

// The client's handshake codec is internal (not exported from the package index): load its CommonJS build.
const { HandshakeProtocol } = createRequire(import.meta.url)('@microsoft/signalr/dist/cjs/HandshakeProtocol.js') as {
  HandshakeProtocol: typeof OfficialHandshake;
};
const officialHandshake = new HandshakeProtocol();

function feed(reader: HandshakeReader, bytes: Buffer, cuts: number[]): HandshakeResult {
  let at = 0;
  let last: HandshakeResult = { status: 'incomplete' };
  for (const end of [...cuts, bytes.length]) {
    last = reader.push(bytes.subarray(at, end));
    at = end;
    if (last.status !== 'incomplete') {
      // Whatever followed in later chunks is the caller's, as if it were part of rest.
      if (last.status === 'complete') return { ...last, rest: Buffer.concat([last.rest, bytes.subarray(at)]) };
      return last;
    }
  }
  return last;
}

test('the request the official client writes is read whole, at any split, with following messages kept', () => {
  for (const protocol of ['json', 'messagepack'] as const) {
    const request = Buffer.from(officialHandshake.writeHandshakeRequest({ protocol, version: 1 }), 'utf8');
    const next =
      protocol === 'json'
        ? encodeJsonMessage({ type: 1, target: 'echo', arguments: ['é'], invocationId: '0' })
        : encodeMsgpackMessage({ type: 1, target: 'echo', arguments: ['é'], invocationId: '0' });
    const stream = Buffer.concat([request, next, next]);
    for (let i = 0; i <= stream.length; i++) {
      const r = feed(new HandshakeReader(), stream, [i]);
      assert.equal(r.status, 'complete', `split at ${i}`);
      if (r.status !== 'complete') continue;
      assert.deepStrictEqual({ protocol: r.request.protocol, version: r.request.version }, { protocol, version: 1 });
      assert.deepStrictEqual(r.request.raw, request);
      const frames = new HubMessageReader(protocol).push(r.rest).frames;
      assert.equal(frames.length, 2);
    }
  }
});

test('handshake success reply is {} + 0x1E and the official client accepts it, also as binary with messages after it', () => {
  assert.equal(handshakeResponse().toString('latin1'), '{}\u001e');
  const [remaining, response] = officialHandshake.parseHandshakeResponse('{}\u001e{"type":6}\u001e');
  assert.equal(response.error, undefined);
  assert.equal(remaining, '{"type":6}\u001e');
  const bin = Buffer.concat([handshakeResponse(), encodeMsgpackMessage({ type: 6 })]);
  const [rest, ok] = officialHandshake.parseHandshakeResponse(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length));
  assert.equal(ok.error, undefined);
  assert.deepStrictEqual([...new Uint8Array(rest as ArrayBuffer)], [0x02, 0x91, 0x06]);
});

test('error replies carry the text, ASCII-only so binary transports read it intact', () => {
  const text = "Requested protocol 'blazorpäck' is not available.";
  const bytes = handshakeResponse(text);
  assert.ok([...bytes].every((b) => b < 0x80));
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  assert.equal(officialHandshake.parseHandshakeResponse(ab)[1].error, text);
  assert.equal(officialHandshake.parseHandshakeResponse(bytes.toString('latin1'))[1].error, text);
});

test('protocol selection: names, versions and transfer formats', () => {
  const both = { transferFormats: ['Text', 'Binary'] as const };
  assert.deepStrictEqual(selectProtocol({ protocol: 'json', version: 1 }, both), { ok: true, protocol: 'json', transferFormat: 'Text' });
  assert.deepStrictEqual(selectProtocol({ protocol: 'MessagePack', version: 2 }, both), {
    ok: true,
    protocol: 'messagepack',
    transferFormat: 'Binary',
  });
  assert.deepStrictEqual(selectProtocol({ protocol: 'blazorpack', version: 1 }, both), {
    ok: false,
    error: "Requested protocol 'blazorpack' is not available.",
  });
  assert.deepStrictEqual(selectProtocol({ protocol: 'json', version: 3 }, both), {
    ok: false,
    error: "The server does not support version 3 of the 'json' protocol.",
  });
  assert.deepStrictEqual(selectProtocol({ protocol: 'messagepack', version: 1 }, { transferFormats: ['Text'] }), {
    ok: false,
    error: "Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format.",
  });
  assert.equal(selectProtocol({ protocol: 'json', version: 1 }, { ...both, protocols: ['messagepack'] }).ok, false);
});

function failure(input: string | Buffer, max?: number): HubProtocolError {
  const r = new HandshakeReader(max).push(input);
  assert.equal(r.status, 'failed', String(input));
  return (r as { error: HubProtocolError }).error;
}

test('malformed requests fail with typed errors and an ASP.NET-shaped reply text', () => {
  assert.equal(failure('nope\u001e').code, 'InvalidHandshake');
  assert.equal(failure('[]\u001e').code, 'InvalidHandshake');
  assert.equal(failure('{"version":1}\u001e').detail, "Missing required property 'protocol'.");
  assert.equal(failure('{"protocol":1,"version":1}\u001e').detail, "Expected 'protocol' to be of type String.");
  assert.equal(failure('{"protocol":"json"}\u001e').detail, "Missing required property 'version'.");
  assert.equal(failure('{"protocol":"json","version":"1"}\u001e').detail, "Expected 'version' to be of type Integer.");
  assert.equal(failure('{"protocol":"json","version":1.5}\u001e').code, 'InvalidHandshake');
  assert.equal(failure(Buffer.from([0xff, 0x1e])).code, 'InvalidHandshake');
  assert.equal(
    handshakeFailureText(failure('{"protocol":"json"}\u001e')),
    "An unexpected error occurred during connection handshake. InvalidDataException: Missing required property 'version'.",
  );
});

test('a request that does not end within the limit fails without buffering more', () => {
  const reader = new HandshakeReader(64);
  assert.equal(reader.push('{"protocol":"json",').status, 'incomplete');
  assert.equal(reader.push(' '.repeat(64)).status, 'failed');
  assert.equal(failure(`{"protocol":"json","version":1}${' '.repeat(40)}\u001e`, 64).code, 'HandshakeTooLarge');
  // After the end, the reader refuses more input instead of re-reading.
  const done = new HandshakeReader();
  assert.equal(done.push('{"protocol":"json","version":1}\u001e').status, 'complete');
  assert.equal(done.push('{}').status, 'failed');
});

test('any bytes give complete, incomplete or a typed failure, never a throw', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `${s}\u001e`)), { maxLength: 5 }), (chunks) => {
      const reader = new HandshakeReader(128);
      for (const c of chunks) {
        const r = reader.push(typeof c === 'string' ? c : Buffer.from(c));
        if (r.status === 'failed') assert.ok(r.error instanceof HubProtocolError);
      }
    }),
    { numRuns: 2000 },
  );
});
