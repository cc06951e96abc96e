/**
 * Entra bearer tokens on the SignalR REST API (reference §1.6), with real identities: an
 * in-process Lapis issues the tokens (ClientSecretCredential for https://signalr.azure.com/.default)
 * and decides RBAC with the SignalR built-in roles; the REST API is mounted on in-memory operations.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { verifySignalRClientToken } from '../../../src/dataplane/signalr/auth/index.ts';
import { SignalRDataActions as A } from '../../../src/dataplane/signalr/rest/index.ts';
import { startTestLapis, type TestLapis } from '../../helpers/lapis.ts';
import { start, token, type Harness } from './harness.ts';

const T = '5e1a7c2b-0000-4000-8000-00000000aa11';
const S = '5e1a7c2b-0000-4000-8000-00000000bb11';
const RG = `/subscriptions/${S}/resourceGroups/rg-sr`;
const app = (displayName: string, n: number) => ({ displayName, appId: `5e1a7c2b-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`, secret: `${displayName}-secret-0123456789abcdef` });
const APP_SERVER = app('sr-app-server', 1);
const REST_OWNER = app('sr-rest-owner', 2);
const REST_READER = app('sr-rest-reader', 3);
const SERVICE_OWNER = app('sr-service-owner', 4);
const NO_ROLE = app('sr-no-role', 5);
const APPS = [APP_SERVER, REST_OWNER, REST_READER, SERVICE_OWNER, NO_ROLE];

let lapis: TestLapis;
let h: Harness;
const bearer = new Map<string, string>();

before(async () => {
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      applications: APPS.map((a) => ({ displayName: a.displayName, appId: a.appId, passwordCredentials: [{ displayName: 'ci', secretText: a.secret }] })),
      resources: [{ type: 'Microsoft.SignalRService/webPubSub', name: 'anchor', resourceGroup: 'rg-sr' }],
      roleAssignments: [
        { principal: APP_SERVER.displayName, roleDefinitionName: 'SignalR App Server', scope: RG },
        { principal: REST_OWNER.displayName, roleDefinitionName: 'SignalR REST API Owner', scope: RG },
        { principal: REST_READER.displayName, roleDefinitionName: 'SignalR REST API Reader', scope: RG },
        { principal: SERVICE_OWNER.displayName, roleDefinitionName: 'SignalR Service Owner', scope: RG },
      ],
    },
  });
  h = await start({
    resourceId: `${RG}/providers/Microsoft.SignalRService/SignalR/sr`,
    entra: { verifier: lapis.node.identity.verifier, check: lapis.node.access.dataActionCheck, tenantId: T },
  });
  h.ops.connect('chat', 'c1', 'alice');
  for (const a of APPS) {
    const cred = new ClientSecretCredential(T, a.appId, a.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
    bearer.set(a.displayName, (await cred.getToken('https://signalr.azure.com/.default'))!.token);
  }
});
after(async () => {
  await h?.close();
  await lapis?.stop();
});

const BODY = '{"target":"t","arguments":[]}';
const OPS: Array<{ name: string; action: string; method: string; path: string; ok: number; body?: boolean }> = [
  { name: 'broadcast', action: A.hubSend, method: 'POST', path: '/api/hubs/chat/:send?api-version=2022-06-01', ok: 202, body: true },
  { name: 'user send', action: A.userSend, method: 'POST', path: '/api/hubs/chat/users/alice/:send?api-version=2022-06-01', ok: 202, body: true },
  { name: 'user exists', action: A.userRead, method: 'HEAD', path: '/api/hubs/chat/users/alice?api-version=2022-06-01', ok: 200 },
  { name: 'connection exists', action: A.connectionRead, method: 'HEAD', path: '/api/hubs/chat/connections/c1?api-version=2022-06-01', ok: 200 },
  { name: 'user in group', action: A.groupRead, method: 'GET', path: '/api/hubs/chat/users/alice/groups/g0?api-version=2022-06-01', ok: 404 },
  { name: 'add to group', action: A.groupWrite, method: 'PUT', path: '/api/hubs/chat/groups/g1/connections/c1?api-version=2022-06-01', ok: 200 },
  { name: 'close all', action: A.connectionWrite, method: 'POST', path: '/api/hubs/chat/:closeConnections?api-version=2022-06-01&excluded=c1', ok: 204 },
  { name: 'generate token', action: A.clientToken, method: 'POST', path: '/api/hubs/chat/:generateToken?api-version=2022-11-01&userId=u', ok: 200 },
  { name: 'temporary key', action: A.accessKey, method: 'GET', path: '/api/v1/auth/accessKey', ok: 200 },
];
const GRANTS: Record<string, string[]> = {
  [APP_SERVER.displayName]: ['close all', 'temporary key'],
  [REST_OWNER.displayName]: ['broadcast', 'user send', 'user exists', 'connection exists', 'user in group', 'add to group', 'close all', 'generate token'],
  [REST_READER.displayName]: ['user exists', 'connection exists', 'user in group'],
  [SERVICE_OWNER.displayName]: OPS.map((o) => o.name),
  [NO_ROLE.displayName]: [],
};

const callAs = (who: string | null, method: string, path: string, body = false) =>
  h.call(method, path, { token: who === null ? null : bearer.get(who)!, ...(body ? { body: BODY, contentType: 'application/json' } : {}) });

for (const [who, granted] of Object.entries(GRANTS)) {
  test(`${who}: allowed exactly its role's DataActions; 403 names the missing one`, async () => {
    for (const op of OPS) {
      const res = await callAs(who, op.method, op.path, op.body);
      if (granted.includes(op.name)) {
        assert.equal(res.status, op.ok, `${who} ${op.name}: ${await res.text()}`);
      } else {
        assert.equal(res.status, 403, `${who} ${op.name}`);
        assert.equal(res.headers.get('x-ms-error-code'), 'Forbidden');
        if (op.method !== 'HEAD') assert.match((await res.json() as { message: string }).message, new RegExp(op.action.replace(/[/.]/g, '\\$&')));
      }
    }
  });
}

test('no token → 401; a token for another audience → 401; disableAadAuth → 401', async () => {
  assert.equal((await callAs(null, 'HEAD', '/api/hubs/chat/users/alice?api-version=2022-06-01')).status, 401);
  const cred = new ClientSecretCredential(T, SERVICE_OWNER.appId, SERVICE_OWNER.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
  const wps = (await cred.getToken('https://webpubsub.azure.com/.default'))!.token;
  const res = await h.call('HEAD', '/api/hubs/chat/users/alice?api-version=2022-06-01', { token: wps });
  assert.equal(res.status, 401);
  h.settings.aadAuthDisabled = true;
  try {
    const off = await callAs(SERVICE_OWNER.displayName, 'GET', '/api/hubs/chat/users/alice?api-version=2022-06-01');
    assert.equal(off.status, 401);
    assert.match((await off.json() as { message: string }).message, /disableAadAuth/);
  } finally {
    h.settings.aadAuthDisabled = false;
  }
});

test('temporary access key: {KeyId, AccessKey} for the App Server; tokens signed with it (kid) work for REST and clients', async () => {
  for (const path of ['/api/v1/auth/accessKey', '/api/auth/accessKey?api-version=2024-12-01']) {
    const res = await callAs(APP_SERVER.displayName, 'GET', path);
    assert.equal(res.status, 200, path);
    const body = await res.json() as Record<string, string>;
    assert.deepEqual(Object.keys(body), ['KeyId', 'AccessKey']);
    const rest = '/api/hubs/chat/:send?api-version=2022-06-01';
    const restToken = await token(`http://127.0.0.1${rest}`, { key: body.AccessKey!, kid: body.KeyId! });
    assert.equal((await h.call('POST', rest, { token: restToken, body: BODY, contentType: 'application/json' })).status, 202);
    const clientToken = await token('https://localhost/client/?hub=chat', { key: body.AccessKey!, kid: body.KeyId!, claims: { 'asrs.s.uid': 'u9' } });
    assert.equal(verifySignalRClientToken({ token: clientToken, hub: 'chat', requestOrigin: 'https://localhost:1', keys: h.deps }).userId, 'u9');
  }
});

test(':generateToken with local auth disabled signs with the internal key (not the access keys)', async () => {
  h.settings.localAuthDisabled = true;
  try {
    const res = await callAs(REST_OWNER.displayName, 'POST', '/api/hubs/chat/:generateToken?api-version=2022-11-01&userId=erin');
    assert.equal(res.status, 200);
    const t = (await res.json() as { token: string }).token;
    assert.equal(verifySignalRClientToken({ token: t, hub: 'chat', requestOrigin: h.origin, keys: h.deps }).userId, 'erin');
    const withoutInternal = { ...h.deps, internalSigningKey: () => 'another-internal-key-0123456789abcdefgh', isLocalAuthDisabled: () => false };
    assert.throws(() => verifySignalRClientToken({ token: t, hub: 'chat', requestOrigin: h.origin, keys: withoutInternal }), /signature/);
  } finally {
    h.settings.localAuthDisabled = false;
  }
});
