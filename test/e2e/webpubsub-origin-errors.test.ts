/**
 * Every Web PubSub resource origin (HTTPS and plain HTTP) answers unknown routes, unknown methods
 * and malformed requests with the data plane's error body and `x-ms-error-code`, never a
 * framework default.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { SignJWT } from 'jose';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

let lapis: TestLapis;
let key = '';
const origins: string[] = [];

before(async () => {
  lapis = await startTestLapis({ config: { resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'wps', resourceGroup: 'rg' }] } });
  const r = lapis.ready.resources[0]!;
  origins.push(r.endpoint!, r.httpEndpoint!);
  key = /AccessKey=([^;]+)/.exec(r.connectionString!)![1]!;
});
after(() => lapis?.stop());

async function token(url: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + 600).setAudience(url).sign(new TextEncoder().encode(key));
}

async function expectError(res: Response, status: number, code: string, what: string): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, status, `${what}: ${text}`);
  const body = JSON.parse(text);
  assert.equal(body.code, code, what);
  assert.equal(typeof body.message, 'string', what);
  assert.deepEqual(Object.keys(body).filter((k) => !['code', 'message', 'target'].includes(k)), [], `${what}: only the data-plane fields`);
  assert.equal(res.headers.get('x-ms-error-code'), code, what);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, what);
}

test('unknown routes → 404 and unknown methods → 405, in the data-plane shape', async () => {
  for (const o of origins) {
    await expectError(await fetch(`${o}/nope`), 404, 'Error.NotFound', `${o} GET /nope`);
    await expectError(await fetch(`${o}/`), 404, 'Error.NotFound', `${o} GET /`);
    await expectError(await fetch(`${o}/client/hubs/chat`), 404, 'Error.NotFound', `${o} GET /client/hubs/chat without an upgrade`);
    await expectError(await fetch(`${o}/api/hubs/chat/nothing`, { headers: { authorization: `Bearer ${await token(`${o}/api/hubs/chat/nothing`)}` } }), 404, 'Error.NotFound', `${o} unknown operation`);
    for (const method of ['PATCH', 'OPTIONS', 'GET']) {
      await expectError(await fetch(`${o}/api/hubs/chat/:send?api-version=2024-01-01`, { method }), 405, 'Error.MethodNotAllowed', `${o} ${method} :send`);
    }
    await expectError(await fetch(`${o}/api/health`, { method: 'DELETE' }), 405, 'Error.MethodNotAllowed', `${o} DELETE /api/health`);
    await expectError(await fetch(`${o}/api/hubs/%zz/:send`, { method: 'POST' }), 400, 'Error.BadRequest', `${o} malformed percent-encoding`);
  }
});

test('malformed JSON, wrong content types and oversized bodies → data-plane 400/415', async () => {
  for (const o of origins) {
    const add = `${o}/api/hubs/chat/:addToGroups?api-version=2024-01-01`;
    const auth = { authorization: `Bearer ${await token(add)}` };
    await expectError(await fetch(add, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{nope' }), 400, 'Error.BadRequest', `${o} malformed JSON`);
    await expectError(await fetch(add, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '' }), 400, 'Error.BadRequest', `${o} empty JSON`);
    await expectError(await fetch(add, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: '{"groups":["g"]}' }), 415, 'Error.UnsupportedMediaType', `${o} wrong content type`);
    const send = `${o}/api/hubs/chat/:send?api-version=2024-01-01`;
    const sendAuth = { authorization: `Bearer ${await token(send)}` };
    await expectError(await fetch(send, { method: 'POST', headers: { ...sendAuth, 'content-type': 'image/png' }, body: 'x' }), 415, 'Error.UnsupportedMediaType', `${o} unsupported media type`);
    await expectError(await fetch(send, { method: 'POST', headers: { ...sendAuth, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(2 * 1024 * 1024) }), 400, 'Error.BadRequest', `${o} oversized body`);
  }
  // The SDK still works against the same origin afterwards.
  const r = lapis.ready.resources[0]!;
  await new WebPubSubServiceClient(r.connectionString!, 'chat').sendToAll('still fine', { contentType: 'text/plain' });
});

test('an oversized body on an unknown route and a lying Content-Length get an answer, not a hang', async () => {
  const port = Number(new URL(origins[1]!).port);
  const answer = (raw: string) => new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(raw));
    let b = '';
    s.on('data', (d) => (b += d));
    s.on('close', () => resolve(b));
    s.on('error', () => resolve(b));
    setTimeout(() => s.destroy(), 3000);
  });
  const big = await answer(`POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: ${50 * 1024 * 1024}\r\nConnection: close\r\n\r\nabc`);
  assert.match(big, /^HTTP\/1\.1 (404|413|400)/);
  const lying = await answer('POST /api/hubs/chat/:send HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
  assert.match(lying, /^HTTP\/1\.1 400/);
});
