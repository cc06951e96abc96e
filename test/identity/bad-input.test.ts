// Bad input at the token and discovery endpoints (issue 3 "Bad input"): malformed form bodies
// (wrong content type, duplicate parameters, oversized), tenant-segment path tricks, and a check
// that Lapis keeps serving everyone else afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import { FORM, WEBPUBSUB_SCOPE, assertEntraError, host, http, postForm, rawRequest, scrubAzureEnv } from './support.ts';

const TENANT = 'd9e0f1a2-b3c4-4d5e-9f6a-7b8c9d0e1f81';
const DOMAIN = 'litware.onmicrosoft.com';
const APP = { appId: 'e0f1a2b3-c4d5-4e6f-8a7b-8c9d0e1f2a82', secret: 'bad-input-app-secret-82' };

let lapis: TestLapis;
let H: string;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: { tenantId: TENANT, domains: [DOMAIN], applications: [{ displayName: 'bad-input-app', appId: APP.appId, passwordCredentials: [{ secretText: APP.secret }] }] },
  });
  H = host(lapis.ready);
});

after(async () => {
  await lapis?.stop();
});

const good = () => new URLSearchParams({ grant_type: 'client_credentials', client_id: APP.appId, client_secret: APP.secret, scope: WEBPUBSUB_SCOPE }).toString();
const tokenUrl = () => `${H}/${TENANT}/oauth2/v2.0/token`;
const malformed = { status: 400, error: 'invalid_request', code: 9002313 } as const;

async function stillServing(): Promise<void> {
  const res = await postForm(tokenUrl(), good());
  assert.equal(res.status, 200, `Lapis should still issue tokens: ${res.text.slice(0, 300)}`);
}

test('wrong content type → 400 invalid_request AADSTS9002313 (JSON, text/plain, none)', { timeout: 30_000 }, async () => {
  const json = JSON.stringify(Object.fromEntries(new URLSearchParams(good())));
  assertEntraError(await http(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: json }), malformed, 'application/json');
  assertEntraError(await http(tokenUrl(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: good() }), malformed, 'text/plain');
  const url = new URL(tokenUrl());
  assertEntraError(await rawRequest(url.origin, url.pathname, { method: 'POST', body: good() }), malformed, 'no content-type');
  assertEntraError(await http(tokenUrl(), { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: `--x\r\ncontent-disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n` }), malformed, 'multipart');
});

test('the content type with a charset parameter (what MSAL sends) is accepted', { timeout: 30_000 }, async () => {
  const res = await http(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: good() });
  assert.equal(res.status, 200, res.text);
});

test('duplicate parameter → 400 invalid_request AADSTS9002313', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(tokenUrl(), `${good()}&client_id=${APP.appId}`), malformed, 'duplicate client_id (same value)');
  assertEntraError(await postForm(tokenUrl(), `${good()}&client_secret=other-secret-value-0000`), malformed, 'duplicate client_secret');
  assertEntraError(await postForm(tokenUrl(), `${good()}&grant_type=password`), malformed, 'duplicate grant_type');
});

test('body over 64 KiB → 400 invalid_request AADSTS9002313', { timeout: 30_000 }, async () => {
  const body = `${good()}&padding=${'a'.repeat(70 * 1024)}`;
  assertEntraError(await postForm(tokenUrl(), body), malformed, '70 KiB body');
});

test('a multi-megabyte body is cut off (an error or a closed connection) and Lapis keeps serving', { timeout: 60_000 }, async () => {
  const body = `${good()}&padding=${'b'.repeat(8 * 1024 * 1024)}`;
  const url = new URL(tokenUrl());
  try {
    const res = await rawRequest(url.origin, url.pathname, { method: 'POST', headers: { 'content-type': FORM }, body, timeoutMs: 20_000 });
    assert.ok(res.status === 400 || res.status === 413, `expected 400 (or 413), got ${res.status}`);
    assert.equal(res.json?.access_token, undefined);
  } catch (e) {
    // The server may close the connection before reading 8 MiB; that is an acceptable refusal.
    assert.match(String((e as Error).message), /ECONNRESET|EPIPE|socket hang up|other side closed|write after end/i);
  }
  await stillServing();
});

test('malformed percent-encoding and over-long parameter values get an Entra-shaped 400, not a crash', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(tokenUrl(), good().replace(APP.secret, '%ZZ%')), {}, 'bad percent-encoding in client_secret');
  assertEntraError(await postForm(tokenUrl(), good().replace(APP.appId, 'c'.repeat(20_000))), { status: 400 }, '20 000-char client_id');
  assertEntraError(await postForm(tokenUrl(), good().replace(encodeURIComponent(WEBPUBSUB_SCOPE), encodeURIComponent(`https://${'x'.repeat(30_000)}.example/.default`))), { status: 400 }, '30 000-char scope');
  assertEntraError(await postForm(tokenUrl(), `${good()}${'&k=v'.repeat(5000)}`), { status: 400 }, '5000 parameters');
  await stillServing();
});

test('tenant path tricks get an Entra-shaped 400 and never a token', { timeout: 60_000 }, async () => {
  const origin = new URL(H).origin;
  const send = (path: string, method = 'POST') => rawRequest(origin, path, method === 'POST' ? { method, headers: { 'content-type': FORM }, body: good() } : { method });
  const posts = [
    '/..%2F/oauth2/token',
    '/..%2F/oauth2/v2.0/token',
    `/..%2F${TENANT}/oauth2/v2.0/token`,
    `/${TENANT}%2F..%2F${TENANT}/oauth2/v2.0/token`,
    `/${TENANT}%00/oauth2/v2.0/token`,
    `/%2e%2e/oauth2/token`,
    `/${'a'.repeat(300)}/oauth2/token`,
    `/${'a'.repeat(300)}.onmicrosoft.com/oauth2/v2.0/token`,
    `/${DOMAIN}%3Fx=1/oauth2/v2.0/token`,
    `/%F0%9F%92%A9/oauth2/v2.0/token`,
  ];
  for (const path of posts) {
    const res = await send(path);
    assertEntraError(res, { status: 400, error: ['invalid_tenant', 'invalid_request'] }, `POST ${path}`);
  }
  const gets = [
    `/${'a'.repeat(300)}/v2.0/.well-known/openid-configuration`,
    '/..%2F/v2.0/.well-known/openid-configuration',
    `/${TENANT}%2F..%2Fadfs/.well-known/openid-configuration`,
  ];
  for (const path of gets) {
    assertEntraError(await send(path, 'GET'), { status: 400, error: ['invalid_tenant', 'invalid_request'] }, `GET ${path}`);
  }
  await stillServing();
});

test('a very long URL is refused without a crash', { timeout: 30_000 }, async () => {
  const origin = new URL(H).origin;
  const res = await rawRequest(origin, `/${TENANT}/oauth2/v2.0/token?${'q'.repeat(60_000)}`, { method: 'POST', headers: { 'content-type': FORM }, body: good() }).catch((e: Error) => e);
  if (!(res instanceof Error)) {
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `expected 4xx (or ignoring the query), got ${res.status}`);
  }
  await stillServing();
});

test('200 concurrent bad requests do not disturb a good one', { timeout: 60_000 }, async () => {
  const bad = Array.from({ length: 200 }, (_, i) => postForm(tokenUrl(), i % 2 ? `${good()}&client_id=x` : 'garbage=%%%'));
  const [goodRes, ...rest] = await Promise.all([postForm(tokenUrl(), good()), ...bad]);
  assert.equal(goodRes.status, 200, goodRes.text);
  for (const r of rest) assert.equal(r.status, 400);
});
