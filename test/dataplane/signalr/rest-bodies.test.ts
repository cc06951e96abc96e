/** `:send` bodies: JSON (any property casing), MessagePack protocol maps, media types, limits. */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { start, type Harness } from './harness.ts';

let h: Harness;
before(async () => { h = await start(); });
after(async () => { await h.close(); });
beforeEach(() => { h.ops.sent.length = 0; });

const SEND = '/api/hubs/chat/:send?api-version=2022-06-01';
const send = (body: string | Buffer, contentType?: string) => h.call('POST', SEND, { body, ...(contentType ? { contentType } : {}) });

async function expectBadRequest(res: Response, pattern: RegExp, status = 400, code = 'Error.BadRequest') {
  const body = await res.json() as { code: string; message: string };
  assert.equal(res.status, status, body.message);
  assert.equal(body.code, code);
  assert.equal(res.headers.get('x-ms-error-code'), code);
  assert.match(body.message, pattern);
}

test('JSON bodies: PascalCase (the .NET SDK), camelCase, no arguments, no content type', async () => {
  assert.equal((await send('{"Target":"a","Arguments":[1,{"x":[2]}]}', 'application/json; charset=utf-8')).status, 202);
  assert.equal((await send('{"target":"b","arguments":["s"]}', 'application/json')).status, 202);
  assert.equal((await send('{"target":"c"}', 'application/json')).status, 202);
  // A Buffer body: fetch sends no content type at all.
  assert.equal((await send(Buffer.from('{"target":"d","arguments":[]}'))).status, 202);
  const got = h.ops.sent.map((s) => [s.message.target, s.message.arguments]);
  assert.deepEqual(got, [['a', [1, { x: [2] }]], ['b', ['s']], ['c', []], ['d', []]]);
  const json = h.ops.sent[0]!.message.encoded('json')!.toString();
  assert.equal(json, '{"type":1,"target":"a","arguments":[1,{"x":[2]}]}\u001e');
});

test('MessagePack protocol maps (application/octet-stream and application/x-msgpack) are forwarded verbatim', async () => {
  const json = Buffer.from('{"type":1,"target":"t","arguments":[1]}\u001e');
  const mp = Buffer.from([0x05, 0x95, 0x01, 0x80, 0xc0, 0xa1, 0x74]);
  for (const type of ['application/octet-stream', 'application/x-msgpack']) {
    const res = await send(Buffer.from(encode({ json, messagepack: mp })), type);
    assert.equal(res.status, 202, type);
    const m = h.ops.sent.at(-1)!.message;
    assert.deepEqual(m.encoded('json'), json);
    assert.deepEqual(m.encoded('messagepack'), mp);
  }
  await expectBadRequest(await send(Buffer.from(encode({ other: Buffer.from('x') })), 'application/octet-stream'), /json|messagepack/);
  await expectBadRequest(await send(Buffer.from([0xc1]), 'application/octet-stream'), /MessagePack/);
});

test('bad JSON bodies: malformed, no target, arguments not an array, empty, too deep', async () => {
  await expectBadRequest(await send('{', 'application/json'), /JSON/);
  await expectBadRequest(await send('{"arguments":[]}', 'application/json'), /target/);
  await expectBadRequest(await send('{"target":"x","arguments":{}}', 'application/json'), /arguments/);
  await expectBadRequest(await send('', 'application/json'), /empty/);
  await expectBadRequest(await send(`{"target":"x","arguments":${'['.repeat(100)}${']'.repeat(100)}}`, 'application/json'), /deeper/);
  assert.equal(h.ops.sent.length, 0);
});

test('other media types → 415; bodies over 1 MiB → 400 naming the limit', async () => {
  await expectBadRequest(await send('hello', 'text/plain'), /text\/plain/, 415, 'Error.UnsupportedMediaType');
  const big = `{"target":"x","arguments":["${'a'.repeat(1024 * 1024)}"]}`;
  await expectBadRequest(await send(big, 'application/json'), /1048576/);
  assert.equal(h.ops.sent.length, 0);
});
