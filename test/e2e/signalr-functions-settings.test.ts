/**
 * Seed 002's Azure Functions settings, pointed at Lapis: an identity-based SignalR connection
 * (`AzureSignalRConnectionString__serviceUri` / `__clientId` / `__clientSecret` / `__tenantId`, as
 * the SignalR extension reads them) plus AZURE_AUTHORITY_HOST. The test does what the extension
 * does with exactly those settings: an Entra token for https://signalr.azure.com/.default
 * (@azure/identity), a temporary access key from `GET /api/v1/auth/accessKey`, a client token
 * signed with it (`kid` = KeyId) for the negotiate response, and REST sends with the Entra token;
 * the unmodified @microsoft/signalr client connects with that negotiate response.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { SignJWT } from 'jose';
import { HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

const T = '8e2f3a41-0000-4000-8000-0000000000a8';
const S = '8e2f3a41-0000-4000-8000-0000000000b8';
const APP = { displayName: 'functions-app', appId: '8e2f3a41-0000-4000-8000-0000000000c8', secret: 'functions-app-secret-0123456789abcdef' };
const OTHER = { displayName: 'no-signalr-role', appId: '8e2f3a41-0000-4000-8000-0000000000d8', secret: 'other-app-secret-0123456789abcdef0' };

let lapis: TestLapis;
/** local.settings.json's "Values", in the environment-variable spelling (`:` becomes `__`). */
let settings: Record<string, string>;
const clients: HubConnection[] = [];

before(async () => {
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      applications: [APP, OTHER].map((a) => ({ displayName: a.displayName, appId: a.appId, passwordCredentials: [{ secretText: a.secret }] })),
      resources: [{ type: 'Microsoft.SignalRService/signalR', name: 'functions-sig', resourceGroup: 'rg-fn',
        properties: { features: [{ flag: 'ServiceMode', value: 'Serverless' }] } }],
      roleAssignments: [{ principal: APP.displayName, roleDefinitionName: 'SignalR Service Owner', scope: `/subscriptions/${S}/resourceGroups/rg-fn` }],
    },
  });
  settings = {
    AzureSignalRConnectionString__serviceUri: lapis.ready.resources.find((r) => r.name === 'functions-sig')!.endpoint!,
    AzureSignalRConnectionString__clientId: APP.appId,
    AzureSignalRConnectionString__clientSecret: APP.secret,
    AzureSignalRConnectionString__tenantId: T,
    AZURE_AUTHORITY_HOST: lapis.ready.authorityHost,
  };
});
after(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await lapis?.stop();
});

/** The extension's credential for these settings: clientId + clientSecret + tenantId → ClientSecretCredential. */
function credentialFrom(s: Record<string, string>, prefix = 'AzureSignalRConnectionString') {
  return new ClientSecretCredential(s[`${prefix}__tenantId`]!, s[`${prefix}__clientId`]!, s[`${prefix}__clientSecret`]!, {
    authorityHost: s.AZURE_AUTHORITY_HOST,
    disableInstanceDiscovery: true, // a GUID tenant on a custom authority: do not ask login.microsoftonline.com
  });
}

/** The SignalRConnectionInfo input binding: a temporary key from the service, a client token signed with it. */
async function negotiate(s: Record<string, string>, hub: string, userId: string): Promise<{ url: string; accessToken: string }> {
  const serviceUri = s.AzureSignalRConnectionString__serviceUri!;
  const entra = await credentialFrom(s).getToken('https://signalr.azure.com/.default');
  const res = await fetch(`${serviceUri}/api/v1/auth/accessKey`, { headers: { authorization: `Bearer ${entra!.token}` } });
  assert.equal(res.status, 200);
  const key = (await res.json()) as { KeyId: string; AccessKey: string };
  const url = `${serviceUri}/client/?hub=${hub}`;
  const accessToken = await new SignJWT({ 'asrs.s.uid': userId }).setProtectedHeader({ alg: 'HS256', kid: key.KeyId })
    .setAudience(url).setIssuedAt().setNotBefore('0s').setExpirationTime('1h').sign(new TextEncoder().encode(key.AccessKey));
  return { url, accessToken };
}

test('the Functions identity settings negotiate, connect and receive a REST send authorised by the same Entra credential', async () => {
  const info = await negotiate(settings, 'chat', 'fn-user');
  const c = new HubConnectionBuilder().withUrl(info.url, { accessTokenFactory: () => info.accessToken }).configureLogging(LogLevel.None).build();
  await c.start();
  clients.push(c);
  const got = new Promise<unknown[]>((r) => c.on('newMessage', (...a: unknown[]) => r(a)));
  // The SignalR output binding: a REST call with the Entra token itself.
  const entra = await credentialFrom(settings).getToken('https://signalr.azure.com/.default');
  const send = await fetch(`${settings.AzureSignalRConnectionString__serviceUri}/api/hubs/chat/users/fn-user/:send?api-version=2022-06-01`, {
    method: 'POST', headers: { authorization: `Bearer ${entra!.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ Target: 'newMessage', Arguments: ['hello from a function'] }),
  });
  assert.equal(send.status, 202);
  assert.deepEqual(await got, ['hello from a function']);
});

test('a principal without a SignalR role gets no temporary key (403), and a wrong secret no token', async () => {
  const other = { ...settings, AzureSignalRConnectionString__clientId: OTHER.appId, AzureSignalRConnectionString__clientSecret: OTHER.secret };
  const entra = await credentialFrom(other).getToken('https://signalr.azure.com/.default');
  const res = await fetch(`${settings.AzureSignalRConnectionString__serviceUri}/api/v1/auth/accessKey`, { headers: { authorization: `Bearer ${entra!.token}` } });
  assert.equal(res.status, 403);
  assert.match(await res.text(), /auth\/accessKey\/action/);
  const wrong = { ...settings, AzureSignalRConnectionString__clientSecret: 'not-the-secret' };
  await assert.rejects(credentialFrom(wrong).getToken('https://signalr.azure.com/.default'), /AADSTS7000215/);
});
