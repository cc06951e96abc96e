/**
 * The fast lane of REST sends (src/dataplane/webpubsub/rest-lane.ts) answers exactly as fastify's
 * path does: the same status, headers and error bodies, with a listener opened as Lapis opens
 * them (the lane sits in the listener, in front of fastify). An `Origin` header sends the same
 * request through fastify (CORS stays there), which gives the reference answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { SignJWT } from 'jose';
import { PRIMARY } from './helpers.ts';
import { laneWorld } from './lane-world.ts';

async function token(aud: string, key = PRIMARY): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setAudience(aud).setExpirationTime('1h').sign(new TextEncoder().encode(key));
}

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function post(port: number, path: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers that say something (not Date, Connection, Keep-Alive, nor the CORS ones the Origin adds). */
const meaningful = (h: Answer['headers']) => Object.fromEntries(Object.entries(h).filter(([k]) => !['date', 'connection', 'keep-alive', 'vary'].includes(k) && !k.startsWith('access-control-')));

test('sends answered by the lane match the answers fastify gives, errors included; refusals stay with fastify', async () => {
  const w = await laneWorld();
  const listener = w.listener;
  try {
    const origin = `http://127.0.0.1:${listener.port}`;
    const both = async (path: string, headers: Record<string, string>, body: Buffer) => {
      const auth = `Bearer ${await token(`${origin}${path}`)}`;
      const before = w.lane();
      const viaLane = await post(listener.port, path, { authorization: auth, 'x-ms-client-request-id': 'rid-1', ...headers }, body);
      const tookLane = w.lane() === before + 1;
      const viaFastify = await post(listener.port, path, { authorization: auth, 'x-ms-client-request-id': 'rid-1', origin: 'http://elsewhere.example', ...headers }, body);
      assert.equal(w.lane(), before + (tookLane ? 1 : 0), 'a request with an Origin header never takes the lane');
      return { viaLane, viaFastify, tookLane };
    };
    const cases: [string, Record<string, string>, Buffer][] = [
      ['/api/hubs/Chat/users/alice/:send?api-version=2024-01-01', { 'content-type': 'text/plain' }, Buffer.from('hello')],
      ['/api/hubs/chat/connections/c1/:send?api-version=2024-01-01', { 'content-type': 'application/octet-stream' }, Buffer.from([1, 2, 3])],
      ['/api/hubs/chat/:send?api-version=2024-01-01', { 'content-type': 'application/json; charset=utf-8' }, Buffer.from('{"a":1}')],
      ['/api/hubs/chat/groups/g1/:send', { 'content-type': 'application/json' }, Buffer.from('{"a":')],
      ['/api/hubs/chat/users/bob/:send?api-version=2024-01-01', { 'content-type': 'text/plain' }, Buffer.from([0x61, 0xc3, 0x28])],
      ['/api/hubs/chat/groups/%20/:send?api-version=2024-01-01', { 'content-type': 'text/plain' }, Buffer.from('x')],
    ];
    for (const [path, headers, body] of cases) {
      const { viaLane, viaFastify, tookLane } = await both(path, headers, body);
      assert.ok(tookLane, `the lane took ${path}`);
      assert.equal(viaLane.status, viaFastify.status, path);
      assert.deepEqual(meaningful(viaLane.headers), meaningful(viaFastify.headers), path);
      assert.equal(viaLane.body, viaFastify.body, path);
    }
    // Not for the lane: a query parameter it does not read, a token signed with another key, chunked bodies.
    const declined: [string, Record<string, string>][] = [
      ['/api/hubs/chat/users/alice/:send?api-version=2024-01-01&messageTtlSeconds=5', {}],
      ['/api/hubs/chat/users/alice/:send?api-version=1999-01-01', {}],
      ['/api/hubs/chat/users/alice/:closeConnections?api-version=2024-01-01', {}],
    ];
    for (const [path, headers] of declined) {
      const before = w.lane();
      const a = await post(listener.port, path, { authorization: `Bearer ${await token(`${origin}${path}`)}`, 'content-type': 'text/plain', ...headers }, Buffer.from('x'));
      assert.equal(w.lane(), before, path);
      assert.ok(a.status === 400 || a.status === 204, `${path}: ${a.status}`);
    }
    const path = '/api/hubs/chat/users/alice/:send?api-version=2024-01-01';
    const before = w.lane();
    const refused = await post(listener.port, path, { authorization: `Bearer ${await token(`${origin}${path}`, 'not-a-key-of-this-resource-0123456789')}`, 'content-type': 'text/plain' }, Buffer.from('x'));
    assert.equal(w.lane(), before, 'a refusal is fastify\'s');
    assert.equal(refused.status, 401);
    assert.match(String(refused.headers['www-authenticate']), /invalid_token/);
  } finally {
    await w.close();
  }
});
