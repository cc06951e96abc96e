/**
 * User events of a protobuf client through the real upstream dispatcher to an HTTP event handler:
 * `protobuf_data` arrives as `application/x-protobuf` with the encoded Any as the body (as Azure
 * sends it), text / JSON / binary with their usual types; the handler's reply comes back to the
 * protobuf client as a server data message before the ack.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Int32ValueSchema, anyPack } from '@bufbuild/protobuf/wkt';
import { create } from '@bufbuild/protobuf';
import { startHarness, startUpstreamResource } from './support.ts';
import type { Harness } from './support.ts';
import { anyBytes, binary, dataOf, json, protobuf, protobufClient, text } from '../helpers/protobuf-client.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

test('protobuf client events reach the handler typed; application/x-protobuf for protobuf_data', async (t) => {
  const seen: Array<{ type: string; body: Buffer; event: string }> = [];
  const handler = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'WebHook-Allowed-Origin': '*' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = String(req.headers['ce-eventname'] ?? '');
      seen.push({ type: String(req.headers['content-type']), body: Buffer.concat(chunks), event });
      if (event === 'echo') res.writeHead(200, { 'Content-Type': 'text/plain' }).end('pong');
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => handler.listen(0, '127.0.0.1', r));
  const r = await startUpstreamResource(h, 'chat');
  t.after(async () => { await r.close(); handler.close(); });
  r.handlers['hub'] = [{ urlTemplate: `http://127.0.0.1:${(handler.address() as AddressInfo).port}/{event}`, userEventPattern: '*', systemEvents: [] }];
  const { url } = await r.serviceClient('hub').getClientAccessToken({ userId: 'pb' });
  const c = await protobufClient(url);
  await c.connected;
  const any = anyPack(Int32ValueSchema, create(Int32ValueSchema, { value: 7 }));
  assert.equal((await c.sendEvent('a', protobuf(Int32ValueSchema, { value: 7 }), 1))!.success, true);
  assert.equal((await c.sendEvent('b', text('t'), 2))!.success, true);
  assert.equal((await c.sendEvent('c', json({ j: 1 }), 3))!.success, true);
  assert.equal((await c.sendEvent('d', binary(new Uint8Array([1, 2])), 4))!.success, true);
  assert.deepEqual(seen.map((s) => [s.event, s.type.split(';')[0]]), [
    ['a', 'application/x-protobuf'], ['b', 'text/plain'], ['c', 'application/json'], ['d', 'application/octet-stream'],
  ]);
  assert.deepEqual(seen[0]!.body, anyBytes(any));
  assert.equal(seen[1]!.body.toString(), 't');
  assert.deepEqual(JSON.parse(seen[2]!.body.toString()), { j: 1 });
  assert.deepEqual([...seen[3]!.body], [1, 2]);
  // The handler's reply is a server message, before the ack.
  const acked = c.sendEvent('echo', text('x'), 5)!;
  const reply = await c.nextData();
  assert.equal(reply.from, 'server');
  assert.deepEqual(dataOf(reply), { case: 'textData', value: 'pong' });
  assert.equal((await acked).success, true);
  c.ws.close();
});
