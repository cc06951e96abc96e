// The portal as Lapis serves it (raw HTTP): the built files under /portal/ with their headers, the
// SPA fallback, the configuration the SPA signs in with, the portal's app registration, and the
// 503 page that names the build command when portal/dist is missing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { PORTAL_DIST } from '../../src/portal/index.ts';
import { mountPortalFiles } from '../../src/portal/static-files.ts';

const NOT_BUILT = existsSync(join(PORTAL_DIST, 'index.html')) ? false : 'portal/dist is missing: run `npm run build:portal`';
let lapis: TestLapis;

before(async () => { lapis = await startTestLapis(); });
after(async () => { await lapis?.stop(); });

test('ready.json names the portal URL on the main HTTPS listener', () => {
  assert.equal(lapis.ready.portalUrl, `${lapis.ready.httpsUrl}/portal/`);
});

test('config.json gives the SPA its tenant, subscription and client id; that app is a SPA registered for exactly the portal URL', async () => {
  const res = await fetch(`${lapis.ready.httpsUrl}/portal/config.json`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const c = await res.json() as { tenantId: string; subscriptionId: string; clientId: string; authorityHost: string; portalUrl: string };
  assert.equal(c.tenantId, lapis.ready.tenantId);
  assert.equal(c.subscriptionId, lapis.ready.subscriptionId);
  assert.equal(c.portalUrl, lapis.ready.portalUrl);
  assert.equal(c.authorityHost, lapis.ready.authorityHost.replace(/\/+$/, ''));
  const app = lapis.node.identity.directory.getApplication(lapis.ready.tenantId, c.clientId);
  assert.deepEqual(app?.spa?.redirectUris, [lapis.ready.portalUrl]);
  assert.equal(app?.displayName, 'Lapis portal');
});

test('the portal app keeps its client id across restarts, and its redirect URI follows the new port', async () => {
  const before = await (await fetch(`${lapis.ready.httpsUrl}/portal/config.json`)).json() as { clientId: string };
  await lapis.restart();
  const after = await (await fetch(`${lapis.ready.httpsUrl}/portal/config.json`)).json() as { clientId: string };
  assert.equal(after.clientId, before.clientId);
  assert.deepEqual(lapis.node.identity.directory.getApplication(lapis.ready.tenantId, after.clientId)?.spa?.redirectUris, [lapis.ready.portalUrl]);
});

test('index.html: CSP without inline script, not cached; deep links fall back to it; /portal redirects to /portal/', { skip: NOT_BUILT }, async () => {
  const res = await fetch(`${lapis.ready.httpsUrl}/portal/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  const html = await res.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  const deep = await fetch(`${lapis.ready.httpsUrl}/portal/some/deep/link`);
  assert.equal(deep.status, 200);
  assert.equal(await deep.text(), html);
  const bare = await fetch(`${lapis.ready.httpsUrl}/portal`, { redirect: 'manual' });
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get('location'), '/portal/');
});

test('hashed assets are immutable; a missing asset is 404, not index.html; no path escapes dist', { skip: NOT_BUILT }, async () => {
  const html = await (await fetch(`${lapis.ready.httpsUrl}/portal/`)).text();
  const js = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(js, 'index.html references its script');
  const asset = await fetch(`${lapis.ready.httpsUrl}/portal/${js}`);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
  const missing = await fetch(`${lapis.ready.httpsUrl}/portal/assets/nope-123.js`);
  assert.equal(missing.status, 404);
  for (const p of ['/portal/..%2f..%2fpackage.json', '/portal/%2e%2e/%2e%2e/package.json', '/portal/%E0%A4%A']) {
    const res = await fetch(`${lapis.ready.httpsUrl}${p}`);
    assert.ok([200, 400, 404].includes(res.status), `${p}: ${res.status}`);
    assert.doesNotMatch(await res.text(), /"name": "lapis"/, `${p} must not serve files outside dist`);
  }
});

test('without a build, /portal/ answers 503 naming npm run build:portal', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'lapis-portal-empty-'));
  const app = Fastify();
  try {
    mountPortalFiles(app, empty);
    const res = await app.inject({ method: 'GET', url: '/portal/' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build:portal/);
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
  } finally {
    await app.close();
    rmSync(empty, { recursive: true, force: true });
  }
});
