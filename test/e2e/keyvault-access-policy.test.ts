import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { startExpressApp, until, within, type ExpressApp } from '../upstream/support.ts';

/**
 * Seed 004 with its own wording: the Web PubSub resource's managed identity gets "secret read
 * permissions … by using access policies". The vault uses access policies
 * (`enableRbacAuthorization: false`); the handler URL holds a Key Vault reference; the unmodified
 * @azure/web-pubsub-express app receives the events only where a policy grants the identity `get`
 * (a role assignment does not count on such a vault). A policy added through ARM opens the way.
 */
const T = '7c1b7c55-0000-4000-8000-0000000000a7';
const S = '7c1b7c55-0000-4000-8000-0000000000b7';
const RG = 'rg-004';
const VAULT_ID = `/subscriptions/${S}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/kv-004`;

let lapis: TestLapis;
const apps: Record<string, ExpressApp> = {};
const events: Record<string, string[]> = {};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

before(async () => {
  for (const n of ['chat-ap', 'chat-ap-denied']) {
    const log: string[] = [];
    events[n] = log;
    apps[n] = await startExpressApp('chat', {
      handleConnect: (_req, res) => { log.push('connect'); res.success({ userId: `${n}-user` }); },
      handleUserEvent: (req, res) => { log.push(req.context.eventName); res.success(`echo: ${String(req.data)}`, 'text'); },
      onConnected: () => { log.push('connected'); },
      onDisconnected: () => { log.push('disconnected'); },
    });
  }
  const vaultPort = await freePort();
  const hub = (n: string) => ({
    name: 'chat',
    properties: {
      eventHandlers: [{
        urlTemplate: `${apps[n]!.url}/eventhandler/{event}?code={@Microsoft.KeyVault(SecretUri=https://localhost:${vaultPort}/secrets/upstream-code)}`,
        userEventPattern: '*', systemEvents: ['connect', 'connected', 'disconnected'],
        auth: { type: 'ManagedIdentity', managedIdentity: { resource: 'api://upstream-004' } },
      }],
    },
  });
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      applications: [{ displayName: 'upstream-api', identifierUris: ['api://upstream-004'] }],
      resources: [
        { type: 'Microsoft.SignalRService/webPubSub', name: 'chat-ap', resourceGroup: RG, identity: { type: 'SystemAssigned' }, hubs: [hub('chat-ap')] },
        { type: 'Microsoft.SignalRService/webPubSub', name: 'chat-ap-denied', resourceGroup: RG, identity: { type: 'SystemAssigned' }, hubs: [hub('chat-ap-denied')] },
        {
          type: 'Microsoft.KeyVault/vaults', name: 'kv-004', resourceGroup: RG, ports: { https: vaultPort },
          properties: {
            enableRbacAuthorization: false,
            accessPolicies: [{ principal: { systemAssignedIdentityOf: 'chat-ap' }, permissions: { secrets: ['get'] } }],
          },
          secrets: [{ name: 'upstream-code', value: 'code-004' }],
        },
      ],
      // RBAC would allow the denied resource: on an access-policy vault it must not matter.
      roleAssignments: [{ principal: { systemAssignedIdentityOf: 'chat-ap-denied' }, roleDefinitionName: 'Key Vault Secrets User', scope: VAULT_ID }],
    },
  });
});

after(async () => {
  await lapis?.stop();
  for (const a of Object.values(apps)) await a.close();
});

const resource = (n: string) => lapis.ready.resources.find((r) => r.name === n)!;

async function connect(name: string, autoReconnect = true): Promise<{ client: WebPubSubClient; replies: unknown[] }> {
  const service = new WebPubSubServiceClient(resource(name).connectionString!, 'chat');
  const { url } = await service.getClientAccessToken({ userId: 'u' });
  const client = new WebPubSubClient(url, { keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 1500, autoReconnect } as never);
  const replies: unknown[] = [];
  client.on('server-message', (e) => { replies.push(e.message.data); });
  await within(client.start(), 10_000, `${name}: client start`);
  return { client, replies };
}

test('seed 004 with an access-policy vault: the identity granted get by policy resolves the reference; express gets the events', async () => {
  const { client, replies } = await connect('chat-ap');
  await until(() => events['chat-ap']!.includes('connected'), 5000, 'connected event');
  await client.sendEvent('echo', 'hi', 'text', { fireAndForget: false });
  await until(() => replies.length >= 1, 5000, 'reply');
  assert.deepEqual(replies, ['echo: hi']);
  client.stop();
  await until(() => events['chat-ap']!.includes('disconnected'), 10_000, 'disconnected event');
  assert.deepEqual(events['chat-ap'], ['connect', 'connected', 'echo', 'disconnected']);
  const posts = apps['chat-ap']!.requests.filter((r) => r.method === 'POST');
  assert.ok(posts.length >= 4 && posts.every((r) => r.query.code === 'code-004'), 'every event URL carries the resolved secret');
});

test('an identity with only a role (no policy) cannot resolve the reference; a policy added through ARM lets it in on the next connect', async () => {
  const service = new WebPubSubServiceClient(resource('chat-ap-denied').connectionString!, 'chat');
  const { url } = await service.getClientAccessToken({ userId: 'u' });
  const refused = new WebPubSubClient(url, { keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 1500, autoReconnect: false } as never);
  await assert.rejects(within(refused.start(), 10_000, 'denied start'));
  refused.stop();
  assert.equal(apps['chat-ap-denied']!.requests.length, 0, 'no request reached a half-resolved URL');

  // The host identity (ready.json's managed identity) administers the node: it adds the policy.
  const mi = lapis.ready.managedIdentity;
  const tokenRes = await fetch(`${mi.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://management.azure.com')}`, { headers: { 'X-IDENTITY-HEADER': mi.identityHeader } });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const principalId = lapis.node.identity.directory.getManagedIdentityOf(resource('chat-ap-denied').id)!.principalId;
  const res = await fetch(`${lapis.ready.managementEndpoint}${VAULT_ID}/accessPolicies/add?api-version=2023-07-01`, {
    method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ properties: { accessPolicies: [{ tenantId: T, objectId: principalId, permissions: { secrets: ['get'] } }] } }),
  });
  assert.equal(res.status, 200);
  // A policy change reaches the resolver at once: the very next connect resolves the reference
  // (the resolver would otherwise keep the refusal for its retry delay).
  const { client } = await connect('chat-ap-denied', false);
  client.stop();
  assert.ok(apps['chat-ap-denied']!.requests.some((r) => r.query.code === 'code-004'));
});
