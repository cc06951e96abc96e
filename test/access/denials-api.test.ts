// "Why was this denied" end to end with the official SDK: a WebPubSubServiceClient whose Entra
// principal lacks the role gets 403 with x-ms-lapis-denial-id and a link in the message; the
// management API returns the record (claims, DataAction, scopes walked, nearest missing assignment)
// to an administrator and to the denied principal, refuses it to others; once the suggested role
// is assigned the same call succeeds at once. Wrong-audience and expired tokens give 401 records
// naming the failure; a management 403 is recorded too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { SignJWT, importPKCS8 } from 'jose';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { scrubAzureEnv } from '../identity/support.ts';
import { appToken, authz, call, miToken } from './arm-harness.ts';

const TENANT = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const SUB = '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a';
const WPS = `/subscriptions/${SUB}/resourceGroups/rg-d/providers/Microsoft.SignalRService/webPubSub/wps-d`;
const SEND = 'Microsoft.SignalRService/WebPubSub/hub/send/action';
const SENDER = { displayName: 'sender-app', appId: '6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b01', secret: 'sender-secret-0123456789abcdef' };
const BYSTANDER = { displayName: 'bystander-app', appId: '6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b02', secret: 'bystander-secret-0123456789abc' };
const DENIALS = '/providers/Microsoft.Lapis/denials';
const Q = '?api-version=2022-04-01';

let lapis: TestLapis;
const cred = (a: typeof SENDER) => new ClientSecretCredential(lapis.ready.tenantId, a.appId, a.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
const endpoint = () => lapis.ready.resources.find((r) => r.name === 'wps-d')!.endpoint!;
const mgmt = (l: TestLapis) => l.ready.managementEndpoint;

before(async () => {
  scrubAzureEnv();
  lapis = await startTestLapis({
    config: {
      tenantId: TENANT, subscriptionId: SUB,
      applications: [
        { displayName: SENDER.displayName, appId: SENDER.appId, passwordCredentials: [{ secretText: SENDER.secret }] },
        { displayName: BYSTANDER.displayName, appId: BYSTANDER.appId, passwordCredentials: [{ secretText: BYSTANDER.secret }] },
      ],
      resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'wps-d', resourceGroup: 'rg-d' }, { type: 'Microsoft.SignalRService/signalR', name: 'sig-d', resourceGroup: 'rg-d' }],
      roleAssignments: [{ principal: BYSTANDER.displayName, roleDefinitionName: 'Web PubSub Service Owner', scope: WPS }],
    },
  });
});

after(async () => {
  await lapis?.stop();
});

function deniedError(err: unknown): { status: number; id: string; message: string } {
  const e = err as { statusCode?: number; message: string; response?: { headers: { get(n: string): string | undefined } } };
  return { status: e.statusCode ?? 0, id: e.response?.headers.get('x-ms-lapis-denial-id') ?? '', message: e.message };
}

test('a 403 from the Web PubSub data plane names its denial; the record explains it; assigning the suggested role lets the same call through', async () => {
  const client = new WebPubSubServiceClient(endpoint(), cred(SENDER), 'chat');
  const d = deniedError(await client.sendToAll('hello').then(() => assert.fail('expected 403'), (e: unknown) => e));
  assert.equal(d.status, 403);
  assert.match(d.id, /^[0-9a-f-]{36}$/);
  assert.ok(d.message.includes(`${lapis.ready.portalUrl}#/denied/${d.id}`), d.message);

  const admin = await miToken(lapis);
  const got = await call(mgmt(lapis), 'GET', `${DENIALS}/${d.id}${Q}`, admin);
  assert.equal(got.status, 200, JSON.stringify(got.body));
  const rec = got.body;
  assert.equal(rec.status, 403);
  assert.equal(rec.surface, 'webpubsub');
  assert.equal(rec.resource, 'wps-d');
  assert.equal(rec.operation, SEND);
  assert.equal(rec.kind, 'dataAction');
  assert.equal(rec.scope, `${WPS}/hubs/chat`);
  assert.equal(rec.claims.appid, SENDER.appId);
  assert.equal(rec.claims.aud, 'https://webpubsub.azure.com');
  assert.equal(rec.decision.allowed, false);
  assert.deepEqual(rec.decision.scopesChecked.slice(0, 2), [`${WPS}/hubs/chat`, WPS]);
  assert.equal(rec.missingAssignment.roleName, 'Web PubSub Service Owner');
  assert.equal(rec.missingAssignment.scope, WPS);
  assert.ok(!JSON.stringify(rec).includes('eyJ'), 'no token in the record');

  // The denied principal reads its own record; a principal with no role-assignment read is refused.
  const own = await call(mgmt(lapis), 'GET', `${DENIALS}/${d.id}${Q}`, await appToken(cred(SENDER)));
  assert.equal(own.status, 200);
  const other = await call(mgmt(lapis), 'GET', `${DENIALS}/${d.id}${Q}`, await appToken(cred(BYSTANDER)));
  assert.equal(other.status, 403);
  assert.equal(other.body.error.code, 'AuthorizationFailed');
  assert.ok(other.headers.get('x-ms-lapis-denial-id'), 'that refusal is itself recorded');
  const list = await call(mgmt(lapis), 'GET', `${DENIALS}${Q}&scope=${encodeURIComponent(WPS)}`, admin);
  assert.ok(list.body.value.some((r: { id: string }) => r.id === d.id));
  const unknown = await call(mgmt(lapis), 'GET', `${DENIALS}/00000000-0000-4000-8000-000000000000${Q}`, admin);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'DenialNotFound');

  // Assign what the record suggests: the very next call is allowed.
  const put = await call(mgmt(lapis), 'PUT', authz(rec.missingAssignment.scope, `roleAssignments/${crypto.randomUUID()}`), admin, {
    properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${rec.missingAssignment.roleDefinitionId}`, principalId: rec.principalId },
  });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  await client.sendToAll('hello');
});

test('a wrong-audience token gets a 401 record that says why, with the refused token\'s claims marked unverified', async () => {
  const mgmtToken = await appToken(cred(SENDER));
  const res = await fetch(`${endpoint()}/api/hubs/chat/:send?api-version=2024-01-01`, { method: 'POST', headers: { authorization: `Bearer ${mgmtToken}`, 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(res.status, 401);
  const id = res.headers.get('x-ms-lapis-denial-id')!;
  assert.match((await res.json() as { message: string }).message, new RegExp(`#/denied/${id}`));
  const rec = (await call(mgmt(lapis), 'GET', `${DENIALS}/${id}${Q}`, await miToken(lapis))).body;
  assert.equal(rec.status, 401);
  assert.equal(rec.failure, 'audience');
  assert.equal(rec.claimsVerified, false);
  assert.equal(rec.claims.aud, 'https://management.azure.com');

});

test('management 401 (expired token) and 403 (AuthorizationFailed) are recorded with the failure and the action', async () => {
  const header = { alg: 'RS256', kid: 'nope', typ: 'JWT' };
  const { privateKey } = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
  const pem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await crypto.subtle.exportKey('pkcs8', privateKey)).toString('base64')}\n-----END PRIVATE KEY-----`;
  const now = Math.floor(Date.now() / 1000);
  const forged = await new SignJWT({ aud: 'https://management.azure.com', oid: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', tid: TENANT })
    .setProtectedHeader(header).setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(await importPKCS8(pem, 'RS256'));
  const r = await call(mgmt(lapis), 'GET', `/subscriptions/${SUB}${'?api-version=2022-09-01'}`, forged);
  assert.equal(r.status, 401);
  const id = r.headers.get('x-ms-lapis-denial-id')!;
  assert.ok(r.body.error.message.includes(`#/denied/${id}`));
  const rec = (await call(mgmt(lapis), 'GET', `${DENIALS}/${id}${Q}`, await miToken(lapis))).body;
  assert.equal(rec.surface, 'management');
  assert.ok(['expired', 'unknownKey', 'signature'].includes(rec.failure), rec.failure);
  assert.equal(rec.scope, '/');

  const denied = await call(mgmt(lapis), 'GET', authz(WPS, 'roleAssignments'), await appToken(cred(BYSTANDER)));
  assert.equal(denied.status, 403);
  const rec2 = (await call(mgmt(lapis), 'GET', `${DENIALS}/${denied.headers.get('x-ms-lapis-denial-id')}${Q}`, await miToken(lapis))).body;
  assert.equal(rec2.operation, 'Microsoft.Authorization/roleAssignments/read');
  assert.equal(rec2.kind, 'action');
  assert.equal(rec2.scope, WPS);
  assert.ok(rec2.missingAssignment.roleName, 'some role grants it');
});

test('access-key and client-connect refusals are recorded too: a forged REST token, a client token for another hub', async () => {
  const { SignJWT: Sign } = await import('jose');
  const res = lapis.ready.resources.find((r) => r.name === 'wps-d')!;
  const forged = await new Sign({}).setProtectedHeader({ alg: 'HS256' }).setAudience(`${res.endpoint}/api/hubs/chat/:send`).setExpirationTime('5m')
    .sign(new TextEncoder().encode('not-the-key-0123456789abcdef0123456789'));
  const r = await fetch(`${res.endpoint}/api/hubs/chat/:send?api-version=2024-01-01`, { method: 'POST', headers: { authorization: `Bearer ${forged}`, 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(r.status, 401);
  const id = r.headers.get('x-ms-lapis-denial-id')!;
  assert.match((await r.json() as { message: string }).message, new RegExp(`denial id ${id}`));
  const admin = await miToken(lapis);
  const rec = (await call(mgmt(lapis), 'GET', `${DENIALS}/${id}${Q}`, admin)).body;
  assert.equal(rec.failure, 'signature');
  assert.equal(rec.scope, WPS);

  const { default: WebSocket } = await import('ws');
  const other = await new WebPubSubServiceClient(res.connectionString!, 'other').getClientAccessToken({ userId: 'u1' });
  const url = other.url.replace('/client/hubs/other', '/client/hubs/chat');
  const refused = await new Promise<{ status: number; id: string | undefined }>((resolve) => {
    const ws = new WebSocket(url);
    ws.on('error', () => {});
    ws.once('unexpected-response', (_q, resp) => { resolve({ status: resp.statusCode ?? 0, id: resp.headers['x-ms-lapis-denial-id'] as string | undefined }); ws.terminate(); });
    ws.once('open', () => { resolve({ status: 101, id: undefined }); ws.close(); });
  });
  assert.equal(refused.status, 401);
  const rec2 = (await call(mgmt(lapis), 'GET', `${DENIALS}/${refused.id}${Q}`, admin)).body;
  assert.equal(rec2.failure, 'audience');
  assert.equal(rec2.scope, `${WPS}/hubs/chat`);
  assert.equal(rec2.claims.sub, 'u1');
  assert.ok(rec2.path.includes('access_token=***'), rec2.path);
});

test('a SignalR REST call with a forged access-key token gets a recorded 401', async () => {
  const { SignJWT: Sign } = await import('jose');
  const sig = lapis.ready.resources.find((r) => r.name === 'sig-d')!;
  const url = `${sig.endpoint}/api/v1/hubs/chat`;
  const forged = await new Sign({}).setProtectedHeader({ alg: 'HS256' }).setAudience(url).setExpirationTime('5m')
    .sign(new TextEncoder().encode('not-the-key-0123456789abcdef0123456789'));
  const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${forged}`, 'content-type': 'application/json' }, body: JSON.stringify({ target: 't', arguments: [] }) });
  assert.equal(r.status, 401);
  const id = r.headers.get('x-ms-lapis-denial-id');
  assert.match(id ?? '', /^[0-9a-f-]{36}$/);
  const rec = (await call(mgmt(lapis), 'GET', `${DENIALS}/${id}${Q}`, await miToken(lapis))).body;
  assert.equal(rec.surface, 'signalr');
  assert.equal(rec.resource, 'sig-d');
  assert.equal(rec.status, 401);
});
