// Every token-endpoint error of issue 3, asserted by HTTP status, `error` and AADSTS code with raw
// requests (reference §2.3), on the v2 and v1 endpoints.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import { WEBPUBSUB, WEBPUBSUB_SCOPE, assertEntraError, host, postForm, scrubAzureEnv } from './support.ts';

const TENANT = 'a6b7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c71';
const DOMAIN = 'woodgrove.onmicrosoft.com';
const APP = { appId: 'b7c8d9e0-f1a2-4b3c-9d4e-5f6a7b8c9d72', secret: 'errors-app-valid-secret-72', expired: 'errors-app-expired-secret-72' };
const EXPIRED_ONLY = { appId: 'c8d9e0f1-a2b3-4c4d-8e5f-6a7b8c9d0e73', secret: 'expired-only-app-secret-73' };

let lapis: TestLapis;
let H: string;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      domains: [DOMAIN],
      applications: [
        {
          displayName: 'errors-app',
          appId: APP.appId,
          passwordCredentials: [
            { displayName: 'current', secretText: APP.secret, endDateTime: '2099-12-31T00:00:00Z' },
            { displayName: 'old', secretText: APP.expired, endDateTime: '2021-01-01T00:00:00Z' },
          ],
        },
        { displayName: 'expired-only', appId: EXPIRED_ONLY.appId, passwordCredentials: [{ secretText: EXPIRED_ONLY.secret, endDateTime: '2020-06-30T00:00:00Z' }] },
      ],
    },
  });
  H = host(lapis.ready);
});

after(async () => {
  await lapis?.stop();
});

const v2 = (tenant = TENANT) => `${H}/${tenant}/oauth2/v2.0/token`;
const v1 = (tenant = TENANT) => `${H}/${tenant}/oauth2/token`;
const cc = (over: Record<string, string | undefined> = {}): Record<string, string> => {
  const f: Record<string, string | undefined> = { grant_type: 'client_credentials', client_id: APP.appId, client_secret: APP.secret, scope: WEBPUBSUB_SCOPE, ...over };
  return Object.fromEntries(Object.entries(f).filter((e): e is [string, string] => e[1] !== undefined));
};
const cc1 = (over: Record<string, string | undefined> = {}) => cc({ scope: undefined, resource: WEBPUBSUB, ...over });

test('baseline: the valid secret gets a token on both endpoints (the errors below are not blanket refusals)', { timeout: 30_000 }, async () => {
  const a = await postForm(v2(), cc());
  assert.equal(a.status, 200, a.text);
  const b = await postForm(v1(), cc1());
  assert.equal(b.status, 200, b.text);
});

test('wrong secret → 401 invalid_client AADSTS7000215 (v2 and v1)', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(v2(), cc({ client_secret: 'not-the-right-secret-0000' })), { status: 401, error: 'invalid_client', code: 7000215 }, 'v2');
  assertEntraError(await postForm(v1(), cc1({ client_secret: 'not-the-right-secret-0000' })), { status: 401, error: 'invalid_client', code: 7000215 }, 'v1');
  // another app's valid secret is still the wrong secret for this app
  assertEntraError(await postForm(v2(), cc({ client_secret: EXPIRED_ONLY.secret })), { status: 401, error: 'invalid_client' }, 'other app secret');
});

test('expired secret → 401 invalid_client AADSTS7000222 (also when the app has another, valid secret)', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(v2(), cc({ client_secret: APP.expired })), { status: 401, error: 'invalid_client', code: 7000222 }, 'expired of two');
  assertEntraError(await postForm(v2(), cc({ client_id: EXPIRED_ONLY.appId, client_secret: EXPIRED_ONLY.secret })), { status: 401, error: 'invalid_client', code: 7000222 }, 'only secret expired');
  assertEntraError(await postForm(v1(), cc1({ client_secret: APP.expired })), { status: 401, error: 'invalid_client', code: 7000222 }, 'v1');
});

test('unknown app → 400 unauthorized_client AADSTS700016', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(v2(), cc({ client_id: randomUUID() })), { status: 400, error: 'unauthorized_client', code: 700016 }, 'v2');
  assertEntraError(await postForm(v1(), cc1({ client_id: randomUUID() })), { status: 400, error: 'unauthorized_client', code: 700016 }, 'v1');
  assertEntraError(await postForm(v2(), cc({ client_id: 'not-a-guid-at-all' })), { status: 400 }, 'non-GUID client_id');
});

test('unknown tenant → 400 invalid_tenant AADSTS90002 (GUID and domain, v2 and v1)', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(v2(randomUUID()), cc()), { status: 400, error: 'invalid_tenant', code: 90002 }, 'v2 guid');
  assertEntraError(await postForm(v2('nosuch.onmicrosoft.com'), cc()), { status: 400, error: 'invalid_tenant', code: 90002 }, 'v2 domain');
  assertEntraError(await postForm(v1(randomUUID()), cc1()), { status: 400, error: 'invalid_tenant', code: 90002 }, 'v1 guid');
});

test('client credentials on common / organizations is refused (the tenant must be named), never a token', { timeout: 30_000 }, async () => {
  for (const t of ['common', 'organizations']) {
    assertEntraError(await postForm(v2(t), cc()), { status: 400 }, t);
  }
});

test('client credentials scope without /.default → 400 invalid_scope AADSTS1002012', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(v2(), cc({ scope: WEBPUBSUB })), { status: 400, error: 'invalid_scope', code: 1002012 });
  assertEntraError(await postForm(v2(), cc({ scope: `${WEBPUBSUB}/user_impersonation` })), { status: 400, error: 'invalid_scope', code: 1002012 });
});

test('more than one resource in scope → 400 invalid_scope AADSTS70011', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(v2(), cc({ scope: `${WEBPUBSUB_SCOPE} https://signalr.azure.com/.default` })), { status: 400, error: 'invalid_scope', code: 70011 });
});

test('unknown resource → 400 invalid_resource AADSTS500011 (v2 scope and v1 resource)', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(v2(), cc({ scope: 'https://unknown.example.com/.default' })), { status: 400, error: 'invalid_resource', code: 500011 }, 'v2');
  assertEntraError(await postForm(v1(), cc1({ resource: 'https://unknown.example.com' })), { status: 400, error: 'invalid_resource', code: 500011 }, 'v1');
  assertEntraError(await postForm(v2(), cc({ scope: `api://${randomUUID()}/.default` })), { status: 400, error: 'invalid_resource', code: 500011 }, 'unknown app id uri');
});

test('unsupported grant type → 400 unsupported_grant_type AADSTS70003', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(v2(), cc({ grant_type: 'magic_beans' })), { status: 400, error: 'unsupported_grant_type', code: 70003 }, 'v2');
  assertEntraError(await postForm(v1(), cc1({ grant_type: 'magic_beans' })), { status: 400, error: 'unsupported_grant_type', code: 70003 }, 'v1');
});

test('missing parameter → 400 invalid_request AADSTS900144', { timeout: 30_000 }, async () => {
  for (const missing of ['grant_type', 'client_id', 'scope'] as const) {
    assertEntraError(await postForm(v2(), cc({ [missing]: undefined })), { status: 400, error: 'invalid_request', code: 900144 }, `v2 without ${missing}`);
  }
  assertEntraError(await postForm(v1(), cc1({ resource: undefined })), { status: 400, error: 'invalid_request', code: 900144 }, 'v1 without resource');
  assertEntraError(await postForm(v2(), ''), { status: 400, error: 'invalid_request', code: 900144 }, 'empty body');
});

test('neither client_secret nor client_assertion → 401 invalid_client AADSTS7000218', { timeout: 30_000 }, async () => {
  assertEntraError(await postForm(v2(), cc({ client_secret: undefined })), { status: 401, error: 'invalid_client', code: 7000218 }, 'v2');
  assertEntraError(await postForm(v1(), cc1({ client_secret: undefined })), { status: 401, error: 'invalid_client', code: 7000218 }, 'v1');
});

test('every error carries a fresh trace_id and its own correlation_id', { timeout: 30_000 }, async () => {
  const a = await postForm(v2(), cc({ client_secret: 'not-the-right-secret-0000' }));
  const b = await postForm(v2(), cc({ client_secret: 'not-the-right-secret-0000' }));
  assertEntraError(a, { code: 7000215 });
  assertEntraError(b, { code: 7000215 });
  assert.notEqual(a.json.trace_id, b.json.trace_id);
});

test('the error text never echoes the secret that was sent', { timeout: 30_000 }, async () => {
  const sent = 'leak-check-secret-value-99887766';
  const res = await postForm(v2(), cc({ client_secret: sent }));
  assertEntraError(res, { status: 401, code: 7000215 });
  assert.ok(!res.text.includes(sent), 'the response must not contain the submitted secret');
});
