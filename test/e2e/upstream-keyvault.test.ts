import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { startExpressApp, until, within, type ExpressApp } from '../upstream/support.ts';

/**
 * Seed 004 through the whole server, declared in one config file: Web PubSub resources with a
 * system- or user-assigned identity call an express app (unmodified @azure/web-pubsub-express)
 * with managed-identity bearer tokens for `api://upstream`; a handler URL holding a Key Vault
 * reference reaches its app only when the resource's identity may read the secret (real RBAC).
 */
const T = '4e1b7c55-0000-4000-8000-0000000000a4';
const S = '4e1b7c55-0000-4000-8000-0000000000b4';
const RG = 'rg-1';
const UAMI = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-1`;
const KV_ADMIN = { appId: '4e1b7c55-0000-4000-8000-0000000000c4', secret: 'kv-admin-secret-0123456789abcdef' };

let lapis: TestLapis;
const apps: Record<string, ExpressApp> = {};
const events: Record<string, { event: string; auth?: string; userId?: string; data?: unknown }[]> = {};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

async function expressFor(name: string): Promise<ExpressApp> {
  const log: (typeof events)[string] = [];
  events[name] = log;
  return startExpressApp('chat', {
    handleConnect: (req, res) => {
      log.push({ event: 'connect', userId: req.context.userId });
      res.success({ userId: `${name}-user`, groups: ['from-connect'] });
    },
    handleUserEvent: (req, res) => {
      log.push({ event: req.context.eventName, userId: req.context.userId, data: req.data });
      res.success(`echo: ${String(req.data)}`, 'text');
    },
    onConnected: (req) => { log.push({ event: 'connected', userId: req.context.userId }); },
    onDisconnected: (req) => { log.push({ event: 'disconnected', userId: req.context.userId }); },
  }, (req, _res, next) => {
    if (req.method === 'POST') log.push({ event: `auth:${String(req.headers['ce-eventname'])}`, auth: req.headers.authorization });
    next();
  });
}

before(async () => {
  for (const n of ['chat', 'chat-ua', 'chat-kv', 'chat-kv-denied']) apps[n] = await expressFor(n);
  const vaultPort = await freePort();
  const vault = `https://localhost:${vaultPort}`;
  const handler = (n: string, url = `${apps[n]!.url}/eventhandler/{event}`) => ({
    name: 'chat',
    properties: {
      eventHandlers: [{
        urlTemplate: url, userEventPattern: '*', systemEvents: ['connect', 'connected', 'disconnected'],
        auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream' } },
      }],
    },
  });
  const kvUrl = (n: string) => `${apps[n]!.url}/eventhandler/{event}?code={@Microsoft.KeyVault(SecretUri=${vault}/secrets/upstream-code)}`;
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      applications: [
        { displayName: 'upstream-api', identifierUris: ['api://upstream'] },
        { displayName: 'kv-admin', appId: KV_ADMIN.appId, passwordCredentials: [{ secretText: KV_ADMIN.secret }] },
      ],
      userAssignedIdentities: [{ name: 'uami-1', resourceGroup: RG }],
      resources: [
        { type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: RG, identity: { type: 'SystemAssigned' }, hubs: [handler('chat')] },
        { type: 'Microsoft.SignalRService/webPubSub', name: 'chat-ua', resourceGroup: RG, identity: { type: 'UserAssigned', userAssignedIdentities: { [UAMI]: {} } }, hubs: [handler('chat-ua')] },
        { type: 'Microsoft.SignalRService/webPubSub', name: 'chat-kv', resourceGroup: RG, identity: { type: 'SystemAssigned' }, hubs: [handler('chat-kv', kvUrl('chat-kv'))] },
        { type: 'Microsoft.SignalRService/webPubSub', name: 'chat-kv-denied', resourceGroup: RG, identity: { type: 'SystemAssigned' }, hubs: [handler('chat-kv-denied', kvUrl('chat-kv-denied'))] },
        { type: 'Microsoft.KeyVault/vaults', name: 'kv-1', resourceGroup: RG, ports: { https: vaultPort }, properties: { enableRbacAuthorization: true }, secrets: [{ name: 'upstream-code', value: 'code-0123' }] },
      ],
      roleAssignments: [
        { principal: { systemAssignedIdentityOf: 'chat-kv' }, roleDefinitionName: 'Key Vault Secrets User', scope: `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/kv-1` },
        { principal: 'kv-admin', roleDefinitionName: 'Key Vault Secrets Officer', scope: `/subscriptions/${S}/resourceGroups/${RG}` },
      ],
    },
  });
});

after(async () => {
  await lapis?.stop();
  for (const a of Object.values(apps)) await a.close();
});

const resource = (n: string) => lapis.ready.resources.find((r) => r.name === n)!;

async function roundTrip(name: string): Promise<void> {
  const service = new WebPubSubServiceClient(resource(name).connectionString!, 'chat');
  const { url } = await service.getClientAccessToken();
  const client = new WebPubSubClient(url, { keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 1500 } as never);
  const replies: unknown[] = [];
  client.on('server-message', (e) => { replies.push(e.message.data); });
  client.on('group-message', (e) => { replies.push({ group: e.message.group, data: e.message.data }); });
  await within(client.start(), 10_000, `${name}: client start`);
  await until(() => events[name]!.some((e) => e.event === 'connected'), 5000, `${name}: connected event`);
  // The connect handler named the user and the groups.
  assert.equal(await service.userExists(`${name}-user`), true);
  await service.group('from-connect').sendToAll('to the group', { contentType: 'text/plain' });
  await client.sendEvent('echo', 'hi', 'text', { fireAndForget: false });
  await until(() => replies.length >= 2, 5000, `${name}: replies`);
  assert.deepEqual(replies, [{ group: 'from-connect', data: 'to the group' }, 'echo: hi']);
  client.stop();
  await until(() => events[name]!.some((e) => e.event === 'disconnected'), 10_000, `${name}: disconnected event`);
  const seen = events[name]!.filter((e) => !e.event.startsWith('auth:')).map((e) => e.event);
  assert.deepEqual(seen, ['connect', 'connected', 'echo', 'disconnected']);
}

/** What an upstream does with the token: Lapis's v1 discovery document, its JWKS, the audience, RS256. */
async function verifyUpstreamToken(authorityHost: string, token: string, audience: string): Promise<JWTPayload> {
  const meta = await (await fetch(`${authorityHost}/${T}/.well-known/openid-configuration`)).json() as { issuer: string; jwks_uri: string };
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(meta.jwks_uri)), {
    issuer: meta.issuer, audience, algorithms: ['RS256'], clockTolerance: 300, requiredClaims: ['tid', 'oid', 'exp', 'nbf'],
  });
  return payload;
}

async function assertTokens(name: string, expectedAppId: string, expectedOid: string, mirid: string): Promise<void> {
  const auths = events[name]!.filter((e) => e.event.startsWith('auth:'));
  assert.ok(auths.length >= 4, `${name}: every event request was seen`);
  const tokens = new Set(auths.map((a) => a.auth));
  assert.equal(tokens.size, 1, 'one cached token serves every event (not one per event)');
  const bearer = [...tokens][0]!;
  assert.match(bearer!, /^Bearer /);
  const claims = await verifyUpstreamToken(lapis.ready.authorityHost, bearer!.slice(7), 'api://upstream');
  assert.equal(claims.appid, expectedAppId);
  assert.equal(claims.oid, expectedOid);
  assert.equal(claims.tid, T);
  assert.equal(String(claims.xms_mirid).toLowerCase(), mirid.toLowerCase());
}

test('system-assigned identity: connect/connected/user event/disconnected reach express with a bearer token jose verifies', async () => {
  await roundTrip('chat');
  const mi = lapis.node.identity.directory.getManagedIdentityOf(resource('chat').id)!;
  await assertTokens('chat', mi.clientId, mi.principalId, resource('chat').id);
});

test('user-assigned identity: the same, with the user-assigned identity\'s token', async () => {
  await roundTrip('chat-ua');
  const mi = lapis.node.identity.directory.findManagedIdentity({ resourceId: UAMI })!;
  await assertTokens('chat-ua', mi.clientId, mi.principalId, UAMI);
});

test('a Key Vault reference in the URL resolves with the resource identity only where RBAC allows it', async () => {
  await roundTrip('chat-kv');
  const reqs = apps['chat-kv']!.requests.filter((r) => r.method === 'POST');
  assert.ok(reqs.length >= 4);
  assert.ok(reqs.every((r) => r.query.code === 'code-0123'), 'the resolved secret is in the URL the app receives');

  // The identity without "Key Vault Secrets User" never gets its handler called.
  const service = new WebPubSubServiceClient(resource('chat-kv-denied').connectionString!, 'chat');
  const { url } = await service.getClientAccessToken({ userId: 'u' });
  const client = new WebPubSubClient(url, { keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 1500, autoReconnect: false } as never);
  await assert.rejects(within(client.start(), 10_000, 'denied start'));
  client.stop();
  assert.equal(apps['chat-kv-denied']!.requests.length, 0, 'no request reached a half-resolved URL');

  // Granting the role takes effect on the very next connect (no retry delay): Lapis's promise of
  // role assignments effective at once holds for Key Vault references too.
  await lapis.node.access.createRoleAssignment({
    principalId: lapis.node.identity.directory.getManagedIdentityOf(resource('chat-kv-denied').id)!.principalId,
    roleDefinitionId: '4633458b-17de-408a-b874-0445c86b69e6', // Key Vault Secrets User
    scope: `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/kv-1`,
  });
  await roundTrip('chat-kv-denied');
});

test('SecretClient (unmodified, Entra credential) reads and writes the vault; RBAC decides', async () => {
  const vaultUri = lapis.ready.resources.find((r) => r.name === 'kv-1')!.vaultUri!;
  const credential = new ClientSecretCredential(T, KV_ADMIN.appId, KV_ADMIN.secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
  // The one documented option a non-Azure vault host needs (the SDK checks the host ends in .vault.azure.net).
  const client = new SecretClient(vaultUri, credential, { disableChallengeResourceVerification: true });
  const declared = await client.getSecret('upstream-code');
  assert.equal(declared.value, 'code-0123');
  const set = await client.setSecret('new-one', 's3cret');
  assert.equal((await client.getSecret('new-one', { version: set.properties.version })).value, 's3cret');
});
