/**
 * The floor of a token endpoint written for Node: `node:https` (keep-alive), the form read and
 * parsed, the client secret compared with a stored SHA-256 in constant time, three random claims,
 * one RS256 signature (RSA-2048, `crypto.sign`), and the v2 JSON answer with Lapis's headers.
 * No framework, no directory, no lockout. What Lapis's token endpoint costs above this is Lapis's.
 *
 *   node bench/servers/bare-token-server.ts <cert.pem> <key.pem> [sync|pool|none]
 *
 * `sync` signs on the event loop; `pool` with a callback (the libuv pool, as Lapis does); `none`
 * does everything but the signature (a zero signature of the right size): the request path alone.
 * Answers `POST /<anything>` with a token for any client whose secret is BENCH_SECRET.
 * Prints `{"port":n}` on stdout when listening.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { BENCH_SECRET } from '../lib/servers.ts';

const [certPath, keyPath, mode = 'pool'] = process.argv.slice(2);
if (!certPath || !keyPath) throw new Error('usage: bare-token-server.ts <cert.pem> <key.pem> [sync|pool|none]');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = randomBytes(20).toString('base64url');
const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid })).toString('base64url');
const storedDigest = createHash('sha256').update(BENCH_SECRET).digest();

const server = createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) }, (req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    const form = new URLSearchParams(body);
    const presented = createHash('sha256').update(form.get('client_secret') ?? '').digest();
    if (req.method !== 'POST' || !timingSafeEqual(presented, storedDigest)) {
      res.writeHead(401, { 'content-length': '0' }).end();
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const random = randomBytes(64);
    const claims = {
      aud: '2a8c3a1e-0000-4000-8000-000000000001', iss: 'https://127.0.0.1/tenant/v2.0', iat: now - 300, nbf: now - 300, exp: now + 3599,
      aio: random.toString('base64url', 0, 24), azp: form.get('client_id'), azpacr: '1', tid: 'tenant',
      uti: random.toString('base64url', 24, 40), ver: '2.0', rh: `0.${random.toString('base64url', 40, 64)}.`,
      oid: 'object', sub: 'object', idtyp: 'app',
    };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const answer = (signature: Buffer) => {
      const out = JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: `${input}.${signature.toString('base64url')}` });
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache',
        'content-length': String(Buffer.byteLength(out)),
      }).end(out);
    };
    if (mode === 'none') answer(Buffer.alloc(256));
    else if (mode === 'sync') answer(sign('sha256', Buffer.from(input), privateKey));
    else sign('sha256', Buffer.from(input), privateKey, (err, signature) => (err ? res.destroy(err) : answer(signature)));
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
