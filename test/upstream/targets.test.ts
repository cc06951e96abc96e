/**
 * Which addresses event handlers may be reached at (docs/upstream.md "Private networks"): every
 * IPv4 and IPv6 form, including those that carry an IPv4 address (mapped, translated, compatible,
 * NAT64, 6to4, Teredo), is judged by the address it really reaches; names are checked at connect
 * time against the address actually connected, so a DNS answer that changes (rebinding) is caught.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { LookupAddress } from 'node:dns';
import { classifyAddress, refuseAddress } from '../../src/upstream/index.ts';
import { startHarness, startUpstreamResource, until, within } from './support.ts';
import type { Harness } from './support.ts';

type Class = 'loopback' | 'private' | 'link-local' | 'public' | 'forbidden';

/** address → class; the comment says which form it is. */
const TABLE: [string, Class, string][] = [
  ['127.0.0.1', 'loopback', 'IPv4 loopback'],
  ['127.8.9.10', 'loopback', 'IPv4 loopback /8'],
  ['10.0.0.1', 'private', 'RFC 1918'],
  ['172.16.0.1', 'private', 'RFC 1918'],
  ['172.31.255.255', 'private', 'RFC 1918'],
  ['192.168.1.1', 'private', 'RFC 1918'],
  ['100.64.0.1', 'private', 'shared address space (CGNAT)'],
  ['198.18.0.1', 'private', 'benchmarking'],
  ['169.254.169.254', 'link-local', 'cloud metadata'],
  ['0.0.0.0', 'forbidden', 'unspecified'],
  ['224.0.0.1', 'forbidden', 'multicast'],
  ['255.255.255.255', 'forbidden', 'broadcast'],
  ['192.0.2.1', 'forbidden', 'documentation'],
  ['240.0.0.1', 'forbidden', 'reserved'],
  ['8.8.8.8', 'public', 'public IPv4'],
  ['172.32.0.1', 'public', 'just outside 172.16/12'],
  ['::1', 'loopback', 'IPv6 loopback'],
  ['::', 'forbidden', 'IPv6 unspecified'],
  ['fd12::1', 'private', 'unique local'],
  ['fc00::1', 'private', 'unique local'],
  ['fe80::1', 'link-local', 'IPv6 link-local'],
  ['fe80::1%eth0', 'link-local', 'IPv6 link-local with zone'],
  ['ff02::1', 'forbidden', 'IPv6 multicast'],
  ['2001:db8::1', 'forbidden', 'IPv6 documentation'],
  ['2606:4700::1111', 'public', 'public IPv6'],
  // IPv4-mapped: the IPv4 itself on a dual-stack socket.
  ['::ffff:127.0.0.1', 'loopback', 'IPv4-mapped loopback'],
  ['::ffff:10.0.0.1', 'private', 'IPv4-mapped private'],
  ['::ffff:169.254.169.254', 'link-local', 'IPv4-mapped metadata'],
  ['::ffff:a9fe:a9fe', 'link-local', 'IPv4-mapped metadata, hex'],
  ['::ffff:0.0.0.0', 'forbidden', 'IPv4-mapped unspecified'],
  ['::ffff:8.8.8.8', 'public', 'IPv4-mapped public'],
  // IPv4-translated (RFC 6145).
  ['::ffff:0:10.0.0.1', 'private', 'IPv4-translated private'],
  ['::ffff:0:8.8.8.8', 'public', 'IPv4-translated public'],
  // IPv4-compatible (deprecated).
  ['::10.0.0.1', 'private', 'IPv4-compatible private'],
  ['::169.254.169.254', 'link-local', 'IPv4-compatible metadata'],
  ['::8.8.8.8', 'public', 'IPv4-compatible public'],
  // NAT64 (RFC 6052).
  ['64:ff9b::10.0.0.1', 'private', 'NAT64 private'],
  ['64:ff9b::a9fe:a9fe', 'link-local', 'NAT64 metadata'],
  ['64:ff9b::8.8.8.8', 'public', 'NAT64 public'],
  ['64:ff9b:1::1', 'private', 'local-use NAT64 prefix'],
  // 6to4 (RFC 3056): 2002:AABB:CCDD::/48.
  ['2002:a00:1::1', 'private', '6to4 of 10.0.0.1'],
  ['2002:a9fe:a9fe::1', 'link-local', '6to4 of the metadata address'],
  ['2002:808:808::1', 'public', '6to4 of 8.8.8.8'],
  // Teredo (RFC 4380): server 65.54.227.120, client inverted in the last 32 bits.
  ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'private', 'Teredo client 10.0.0.1'],
  ['2001:0:4136:e378:8000:63bf:5601:5601', 'link-local', 'Teredo client 169.254.169.254'],
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'public', 'Teredo client 8.8.8.8'],
  ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'private', 'Teredo server 10.0.0.1'],
  // A loopback reached through a translator or tunnel is another machine's loopback.
  ['64:ff9b::127.0.0.1', 'forbidden', 'NAT64 loopback'],
  ['2002:7f00:1::1', 'forbidden', '6to4 loopback'],
  ['::127.0.0.1', 'forbidden', 'IPv4-compatible loopback'],
  // Not an address in its strict form.
  ['localhost', 'forbidden', 'a name'],
  ['127.1', 'forbidden', 'short IPv4 form'],
  ['0x7f.0.0.1', 'forbidden', 'hex IPv4 form'],
];

test('address classes over every form, and what each may reach with and without allowPrivateTargets', () => {
  for (const [ip, cls, form] of TABLE) {
    assert.equal(classifyAddress(ip), cls, `${ip} (${form})`);
    const withoutSetting = refuseAddress(ip, false);
    const withSetting = refuseAddress(ip, true);
    if (cls === 'loopback' || cls === 'public') {
      assert.equal(withoutSetting, undefined, `${ip} is allowed`);
      assert.equal(withSetting, undefined, `${ip} is allowed`);
    } else if (cls === 'forbidden') {
      assert.match(withoutSetting ?? '', /cannot be used for event handlers/, `${ip} is never allowed`);
      assert.match(withSetting ?? '', /cannot be used for event handlers/, `${ip} is never allowed`);
    } else {
      assert.match(withoutSetting ?? '', /set allowPrivateTargets/, `${ip} needs allowPrivateTargets`);
      assert.equal(withSetting, undefined, `${ip} is allowed with allowPrivateTargets`);
    }
  }
});

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('handler URLs with embedded-IPv4 literals are refused without a network attempt', async () => {
  const r = await startUpstreamResource(h, 'chat');
  try {
    const literals = ['[::ffff:a9fe:a9fe]', '[64:ff9b::a9fe:a9fe]', '[2002:a00:1::1]', '[::ffff:0:a00:1]', '[2001:0:4136:e378:8000:63bf:5601:5601]', '[fe80::1]'];
    for (const [i, host] of literals.entries()) {
      const hub = `lit${i}`;
      r.handlers[hub] = [{ urlTemplate: `http://${host}/{event}`, systemEvents: ['connect'] }];
      await assert.rejects(within(r.client(hub).start()));
      const [s] = r.upstream.status(hub);
      assert.equal(s!.status, 'Failed', host);
      assert.equal(s!.code, 'UpstreamTargetRefused', host);
      assert.match(s!.reason!, /set allowPrivateTargets/, host);
    }
  } finally {
    await r.close();
  }
});

/** A handler on 127.0.0.1 that closes every connection after answering, so each request needs a new socket. */
async function closingHandler(): Promise<{ port: number; posts: string[]; close(): Promise<void> }> {
  const posts: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'OPTIONS') { res.writeHead(200, { 'WebHook-Allowed-Origin': '*', Connection: 'close' }).end(); return; }
      posts.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port, posts,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

test('names are checked at connect time against the address they resolve to then (DNS rebinding)', async () => {
  const app = await closingHandler();
  // A DNS server under the test's control: `rebind.test` answers loopback, then a private address.
  let answer: LookupAddress[] = [{ address: '127.0.0.1', family: 4 }];
  const lookups: string[] = [];
  const r = await startUpstreamResource(h, 'chat', {
    resolve: (hostname, _options, callback) => {
      lookups.push(hostname);
      if (hostname === 'private.test') callback(null, [{ address: '10.1.2.3', family: 4 }]);
      else if (hostname === 'mapped.test') callback(null, [{ address: '::ffff:169.254.169.254', family: 6 }]);
      else if (hostname === 'rebind.test') callback(null, answer);
      else callback(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
    },
    timing: { requestTimeoutMs: 2000, retryDelaysMs: [], validationTimeoutMs: 1000 },
  });
  try {
    for (const name of ['private.test', 'mapped.test']) {
      r.handlers[name.split('.')[0]!] = [{ urlTemplate: `http://${name}:${app.port}/{event}`, systemEvents: ['connect'] }];
      await assert.rejects(within(r.client(name.split('.')[0]!).start()));
      const [s] = r.upstream.status(name.split('.')[0]!);
      assert.match(s!.reason!, /set allowPrivateTargets/, name);
    }
    assert.deepEqual(app.posts, [], 'nothing reached the handler through a private answer');

    r.handlers.rebind = [{ urlTemplate: `http://rebind.test:${app.port}/{event}`, userEventPattern: '*' }];
    const client = r.client('rebind');
    await within(client.start());
    await within(client.sendEvent('first', 'x', 'text'));
    assert.deepEqual(app.posts, ['/first'], 'validated and delivered while the name answered loopback');
    // The name now answers a private address: validation is still fresh, but the new socket is refused.
    answer = [{ address: '10.9.9.9', family: 4 }];
    await assert.rejects(within(client.sendEvent('second', 'x', 'text')), (e: any) => e.errorDetail?.name === 'InvocationFailed');
    assert.deepEqual(app.posts, ['/first'], 'the second event never reached the (rebound) name');
    assert.ok(lookups.filter((n) => n === 'rebind.test').length >= 3, 'each new socket resolved the name again');
    client.stop();
    await until(() => r.upstream.trackedConnections === 0, 5000, 'per-connection state released');
  } finally {
    await r.close();
    await app.close();
  }
});

test('every agent socket is checked against the address it actually connected to, even without a lookup', async (t) => {
  const { networkInterfaces } = await import('node:os');
  const { request } = await import('node:http');
  const { AgentPool } = await import('../../src/upstream/agents.ts');
  // An address of this machine that is not loopback (private, link-local or reserved).
  const candidates = Object.values(networkInterfaces()).flat()
    .filter((i) => i && !i.internal && !i.address.startsWith('fe80') && classifyAddress(i.address) !== 'public');
  const local = candidates.find((i) => classifyAddress(i!.address) === 'private') ?? candidates[0];
  if (!local) {
    t.skip('this machine has no non-loopback private or reserved address to listen on');
    return;
  }
  const server: Server = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((r) => server.listen(0, local.address, () => r()));
  const host = local.family === 'IPv6' ? `[${local.address}]` : local.address;
  const url = `http://${host}:${(server.address() as { port: number }).port}/`;
  const errors: Error[] = [];
  const pool = new AgentPool({ maxSocketsPerOrigin: 4, onSocketError: (e) => errors.push(e) });
  const attempt = (allowPrivate: boolean) => new Promise<number | Error>((resolve) => {
    // An IP literal skips `lookup`: only the socket's own check stands between it and the target.
    const req = request(url, { agent: pool.agent(false, allowPrivate) }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', resolve);
    req.end();
  });
  try {
    const refused = await attempt(false);
    assert.ok(refused instanceof Error, `${local.address} is refused without allowPrivateTargets`);
    assert.equal((refused as { code?: string }).code, 'UpstreamTargetRefused');
    if (classifyAddress(local.address) === 'private') assert.equal(await attempt(true), 204, 'allowed with allowPrivateTargets');
    else assert.ok(await attempt(true) instanceof Error, 'a reserved address is never allowed');
    // TLS sockets are checked on TCP connect, before any handshake byte is sent.
    const { request: tlsRequest } = await import('node:https');
    const secure = await new Promise<Error | number>((resolve) => {
      const req = tlsRequest(url.replace('http:', 'https:'), { agent: pool.agent(true, false) }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', resolve);
      req.end();
    });
    assert.equal((secure as { code?: string }).code, 'UpstreamTargetRefused', 'https: refused at connect');
  } finally {
    pool.destroy();
    await new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  }
});
