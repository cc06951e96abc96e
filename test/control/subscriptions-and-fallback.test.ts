// ARM's subscriptions and tenants listings (what `az login` and `az account` read), authorised as
// ARM does, and the main origins' answers for unknown routes and methods: each in the error shape
// of the surface that owns the path, never fastify's default (issue 10 §4).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { rawRequest, type RawResponse } from '../identity/support.ts';
import { Arm, NOBODY, READER, RG } from './support.ts';

const TENANT = '9f3b5e74-2d0a-4e8c-9b43-7a5c6d8e9f30';
const SUB = '9f3b5e74-2d0a-4e8c-9b43-7a5c6d8e9f31';
let lapis: TestLapis;
let arm: Arm;

before(async () => {
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT, subscriptionId: SUB, domains: ['subs.example'],
      applications: [
        { displayName: READER.displayName, appId: READER.appId, passwordCredentials: [{ secretText: READER.secret }] },
        { displayName: NOBODY.displayName, appId: NOBODY.appId, passwordCredentials: [{ secretText: NOBODY.secret }] },
      ],
      // A role below the subscription only: ARM still lists the subscription for this principal.
      roleAssignments: [{ principal: READER.displayName, roleDefinitionName: 'Reader', scope: `/subscriptions/${SUB}/resourceGroups/${RG}` }],
    },
  });
  arm = new Arm(lapis);
});

after(async () => {
  await lapis?.stop();
});

function assertArmError(res: { status: number; body: any }, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body?.error?.code, code, JSON.stringify(res.body));
  assert.equal(typeof res.body.error.message, 'string');
}

test('GET /subscriptions (az login): the caller sees the subscriptions where it holds a role at, above or below them', async () => {
  const admin = await arm.admin('GET', '/subscriptions?api-version=2019-11-01');
  assert.equal(admin.status, 200, JSON.stringify(admin.body));
  assert.deepEqual(admin.body.value.map((s: any) => s.subscriptionId), [SUB], 'Owner at / sees it');
  const s = admin.body.value[0];
  assert.equal(s.id, `/subscriptions/${SUB}`);
  assert.equal(s.tenantId, TENANT);
  assert.equal(s.state, 'Enabled');
  assert.equal(s.authorizationSource, 'RoleBased');
  assert.equal(typeof s.displayName, 'string');
  assert.equal(typeof s.subscriptionPolicies, 'object');

  const reader = await arm.as(READER, 'GET', '/subscriptions?api-version=2022-12-01');
  assert.deepEqual(reader.body.value.map((x: any) => x.subscriptionId), [SUB], 'a role on a resource group is enough');
  const nobody = await arm.as(NOBODY, 'GET', '/subscriptions?api-version=2019-11-01');
  assert.equal(nobody.status, 200);
  assert.deepEqual(nobody.body.value, [], 'no role anywhere: no subscription');
});

test('GET /subscriptions/{id}: visible → the subscription; invisible or unknown → 404 SubscriptionNotFound', async () => {
  const ok = await arm.as(READER, 'GET', `/subscriptions/${SUB}?api-version=2019-11-01`);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.subscriptionId, SUB);
  assertArmError(await arm.as(NOBODY, 'GET', `/subscriptions/${SUB}?api-version=2019-11-01`), 404, 'SubscriptionNotFound');
  assertArmError(await arm.admin('GET', '/subscriptions/00000000-0000-4000-8000-000000000000?api-version=2019-11-01'), 404, 'SubscriptionNotFound');
});

test('GET /tenants: the caller\'s tenant in ARM\'s shape', async () => {
  const res = await arm.as(NOBODY, 'GET', '/tenants?api-version=2019-11-01');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.value.length, 1);
  assert.equal(res.body.value[0].id, `/tenants/${TENANT}`);
  assert.equal(res.body.value[0].tenantId, TENANT);
  assert.deepEqual(res.body.value[0].domains, ['subs.example']);
});

test('listings: api-version required and checked; wrong method 405; anonymous 401; all ARM-shaped', async () => {
  assertArmError(await arm.admin('GET', '/subscriptions'), 400, 'MissingApiVersionParameter');
  assertArmError(await arm.admin('GET', '/tenants?api-version=1999-01-01'), 400, 'InvalidApiVersionParameter');
  assertArmError(await arm.admin('POST', '/subscriptions?api-version=2019-11-01', {}), 405, 'MethodNotAllowed');
  assertArmError(await arm.admin('DELETE', `/subscriptions/${SUB}?api-version=2019-11-01`), 405, 'MethodNotAllowed');
  assertArmError(await arm.anonymous('GET', '/subscriptions?api-version=2019-11-01'), 401, 'AuthenticationFailed');
});

// ---- unknown routes and methods -------------------------------------------------------------------

const https = (method: string, path: string) => rawRequest(lapis.ready.httpsUrl, path, { method, headers: method === 'POST' || method === 'PUT' ? { 'content-type': 'application/json' } : {}, body: method === 'POST' || method === 'PUT' ? '{}' : undefined });
const plain = (method: string, path: string) => rawRequest(lapis.ready.httpUrl, path, { method });

function assertNotFastify(res: RawResponse): void {
  assert.ok(!/"statusCode":\d+/.test(res.text), `a framework default answered: ${res.text}`);
  assert.match(String(res.headers['content-type']), /application\/json/);
}

function assertAadsts(res: RawResponse, status: number, code: number): void {
  assertNotFastify(res);
  assert.equal(res.status, status, res.text);
  assert.match(res.json.error_description, new RegExp(`^AADSTS${code}: `), res.text);
  assert.deepEqual(res.json.error_codes, [code]);
}

test('main HTTPS, Entra paths: unknown path → 404 AADSTS; discovery with POST/DELETE → 405; token endpoint with PUT → AADSTS900561', async () => {
  assertAadsts(await https('GET', `/${TENANT}/oauth2/v2.0/nothing`), 404, 9002313);
  assertAadsts(await https('GET', `/${TENANT}/oauth2/v2.0/authorize/more`), 404, 9002313);  // authorize itself is served (interactive sign-in)
  assertAadsts(await https('GET', '/no-such-thing'), 404, 9002313);
  assertAadsts(await https('GET', '/'), 404, 9002313);
  const post = await https('POST', `/${TENANT}/v2.0/.well-known/openid-configuration`);
  assertAadsts(post, 405, 900561);
  assert.match(String(post.headers.allow), /GET/);
  assertAadsts(await https('DELETE', `/${TENANT}/discovery/v2.0/keys`), 405, 900561);
  assertAadsts(await https('PUT', `/${TENANT}/oauth2/v2.0/token`), 400, 900561);
  assertAadsts(await https('GET', `/${TENANT}/oauth2/token`), 400, 900561);
});

test('main HTTPS, ARM paths: unknown root → 404 NotFound; unserved method → 405 MethodNotAllowed; ARM shape', async () => {
  const unknown = await https('GET', '/resourceGroups/x?api-version=2022-04-01');
  assertNotFastify(unknown);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.code, 'NotFound');
  const options = await https('OPTIONS', `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`);
  assertNotFastify(options);
  assert.equal(options.status, 405, options.text);
  assert.equal(options.json.error.code, 'MethodNotAllowed');
  const put = await https('PUT', '/tenants?api-version=2019-11-01');
  assert.equal(put.status, 401, 'ARM authenticates before it routes further');
  assert.ok(put.json.error.code);
});

test('main HTTPS, Graph paths: unknown segment → 400 BadRequest (Graph\'s answer); wrong method → 405; Graph shape', async () => {
  const seg = await https('GET', '/v1.0/groups');
  assertNotFastify(seg);
  assert.equal(seg.status, 400, seg.text);
  assert.equal(seg.json.error.code, 'BadRequest');
  assert.match(seg.json.error.message, /segment 'groups'/);
  assert.ok(seg.json.error.innerError?.['request-id']);
  const method = await https('PUT', '/v1.0/applications');
  assertNotFastify(method);
  assert.equal(method.status, 405, method.text);
  assert.equal(method.json.error.code, 'Request_BadRequest');
  assert.match(String(method.headers.allow), /POST/);
});

test('plain HTTP listener (health, managed identity): unknown path → 404, wrong method → 405, in the MI error shape', async () => {
  const missing = await plain('GET', '/nothing/here');
  assertNotFastify(missing);
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error, 'not_found');
  assert.equal(typeof missing.json.error_description, 'string');
  for (const path of ['/msi/token', '/metadata/identity/oauth2/token', '/api/health']) {
    const res = await plain('POST', path);
    assertNotFastify(res);
    assert.equal(res.status, 405, `${path}: ${res.text}`);
    assert.equal(res.json.error, 'method_not_allowed');
  }
  const health = await https('DELETE', '/api/health');
  assert.equal(health.status, 405);
  assert.equal((await plain('GET', '/api/health')).status, 200, 'health still answers');
});

test('GET /metadata/endpoints (az cloud register): anonymous, ARM cloud metadata naming the adfs login endpoint', async () => {
  for (const path of ['/metadata/endpoints?api-version=2015-01-01', '//metadata/endpoints?api-version=2015-01-01']) {
    const res = await rawRequest(lapis.ready.httpsUrl, path);
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    assert.equal(res.json.authentication.loginEndpoint, `${lapis.ready.authorityHost}/adfs`);
    assert.ok(res.json.authentication.audiences.includes('https://management.core.windows.net/'));
  }
});

test('requests fastify refuses itself (malformed URL, unparsable body) get the surface\'s 400, not a framework default', async () => {
  const arm = await https('GET', '/subscriptions/%zz?api-version=2022-04-01');
  assertNotFastify(arm);
  assert.equal(arm.status, 400);
  assert.equal(arm.json.error.code, 'InvalidRequestContent');
  const graph = await https('GET', '/v1.0/%zz');
  assertNotFastify(graph);
  assert.equal(graph.json.error.code, 'Request_BadRequest');
  assertAadsts(await https('GET', '/%zz/oauth2/v2.0/token'), 400, 9002313);
  const plainBadUrl = await plain('GET', '/msi/%zz');
  assertNotFastify(plainBadUrl);
  assert.equal(plainBadUrl.status, 400);
  assert.equal(plainBadUrl.json.error, 'invalid_request');
  const plainBadJson = await rawRequest(lapis.ready.httpUrl, '/msi/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' });
  assertNotFastify(plainBadJson);
  assert.equal(plainBadJson.status, 400, plainBadJson.text);
  assert.equal(plainBadJson.json.error, 'invalid_request');
});
