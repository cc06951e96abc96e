// Seed 002 against Lapis: the unmodified ASP.NET Core app with two ServiceEndpoints, a
// ClientSecretCredential for one resource and a ClientCertificateCredential for the other, each
// app registration holding SignalR App Server on its own resource only. Server connections carry
// the raw Entra tokens; client tokens are signed with the in-band temporary keys. Clients
// negotiated through the app reach the same hub on either endpoint, and a broadcast reaches both.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { buildDotnetApp, startDotnetApp, type DotnetApp } from './dotnet-app.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';
import { createClientCert, removeCertFiles } from '../helpers/certs.ts';
import { Arm } from '../control/support.ts';

const T = '7d1e2f30-0000-4000-8000-0000000000d1';
const S = '7d1e2f30-0000-4000-8000-0000000000d2';
const RES = (name: string) => `/subscriptions/${S}/resourceGroups/rg-1/providers/Microsoft.SignalRService/SignalR/${name}`;
const SECRET_APP = { displayName: 'seed-secret-app', appId: '7d1e2f30-0000-4000-8000-0000000000d3', secret: 'seed-secret-app-secret-0123456789' };
const CERT_APP = { displayName: 'seed-cert-app', appId: '7d1e2f30-0000-4000-8000-0000000000d4' };

const build = await buildDotnetApp();
const skip = build.ok ? false : build.reason;
let lapis: TestLapis;
let app: DotnetApp | undefined;
let endpoints: Record<'one' | 'two', string>;
const clients: HubConnection[] = [];

before(async () => {
  if (!build.ok) return;
  const cert = await createClientCert('seed-cert-app');
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      applications: [
        { displayName: SECRET_APP.displayName, appId: SECRET_APP.appId, passwordCredentials: [{ displayName: 'ci', secretText: SECRET_APP.secret }] },
        { displayName: CERT_APP.displayName, appId: CERT_APP.appId, keyCredentials: [{ type: 'AsymmetricX509Cert', key: cert.certPem }] },
      ],
      resources: [
        { type: 'Microsoft.SignalRService/signalR', name: 'seed-one', resourceGroup: 'rg-1' },
        { type: 'Microsoft.SignalRService/signalR', name: 'seed-two', resourceGroup: 'rg-1' },
      ],
      roleAssignments: [
        { principal: SECRET_APP.displayName, roleDefinitionName: 'SignalR App Server', scope: RES('seed-one') },
        { principal: CERT_APP.displayName, roleDefinitionName: 'SignalR App Server', scope: RES('seed-two') },
      ],
    },
  });
  const ep = (name: string) => lapis.ready.resources.find((r) => r.name === name)!.endpoint!;
  endpoints = { one: ep('seed-one'), two: ep('seed-two') };
  app = await startDotnetApp({
    dllPath: build.dllPath, caCertPath: lapis.ready.caCertPath,
    env: {
      LAPIS_APP_MODE: 'entra', LAPIS_AUTHORITY_HOST: lapis.ready.authorityHost, LAPIS_TENANT_ID: T,
      LAPIS_ENDPOINT_1: endpoints.one, LAPIS_CLIENT_ID_1: SECRET_APP.appId, LAPIS_CLIENT_SECRET_1: SECRET_APP.secret,
      LAPIS_ENDPOINT_2: endpoints.two, LAPIS_CLIENT_ID_2: CERT_APP.appId, LAPIS_CLIENT_CERT_PATH_2: cert.pemPath,
      LAPIS_SERVER_CONNECTION_COUNT: '2',
    },
  });
}, { timeout: 120_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => {})));
  await app?.stop();
  await lapis?.stop();
  removeCertFiles();
});

/** Negotiates through the app until it has sent clients to both endpoints (it picks one at random). */
async function connectUntilBoth(): Promise<Map<string, HubConnection>> {
  const seen = new Map<string, HubConnection>();
  const deadline = Date.now() + 40_000;
  while (seen.size < 2) {
    if (Date.now() > deadline) throw new Error(`clients reached ${[...seen.keys()].join(', ') || 'no endpoint'}:\n${app!.output.slice(-30).join('\n')}`);
    const res = await fetch(`${app!.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    if (!res.ok) { await res.text(); await new Promise((r) => setTimeout(r, 300)); continue; }
    const body = (await res.json()) as { url: string; accessToken: string };
    const origin = new URL(body.url).origin;
    if (seen.has(origin)) continue;
    const c = new HubConnectionBuilder().withUrl(body.url, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => body.accessToken, skipNegotiation: false })
      .configureLogging(LogLevel.None).build();
    try {
      await c.start();
    } catch (err) {
      // The SDK counts an endpoint as up a moment before Lapis has its server connection's
      // handshake; Lapis (like Azure) then answers "not connected yet": try again.
      if (!/not connected yet/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 300));
      continue;
    }
    clients.push(c);
    seen.set(origin, c);
    assert.equal(decodeJwt(body.accessToken).aud, `${new URL(body.url).protocol}//${new URL(body.url).hostname}/client/?hub=chathub`);
    assert.ok(typeof decodeProtectedHeader(body.accessToken).kid === 'string');
  }
  return seen;
}

test('two endpoints, two Entra credentials: clients on both reach the hub, and a broadcast reaches both', { skip, timeout: 90_000 }, async () => {
  const both = await connectUntilBoth();
  assert.deepEqual([...both.keys()].sort(), [new URL(endpoints.one).origin, new URL(endpoints.two).origin].sort());
  const [a, b] = [...both.values()] as [HubConnection, HubConnection];
  assert.equal(await a.invoke('Echo', 'one'), 'one');
  assert.equal(await b.invoke('Echo', 'two'), 'two');
  const got = Promise.all([a, b].map((c) => new Promise<unknown[]>((r) => c.on('broadcast', (...x: unknown[]) => r(x)))));
  await a.invoke('Broadcast', 'across endpoints');
  for (const args of await got) assert.equal(args[1], 'across endpoints');
  // Groups across endpoints: the join goes to both resources (NotFound on the other), the send too.
  assert.equal(await b.invoke('JoinGroup', 'g'), 'g');
  const inGroup = new Promise<unknown[]>((r) => b.on('group', (...x: unknown[]) => r(x)));
  await a.invoke('SendToGroup', 'g', 'to g');
  assert.equal((await inGroup)[2], 'to g');
});

/** Negotiates through the app until a client lands on `origin`, and proves it with an echo. */
async function echoOn(origin: string, text: string): Promise<void> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    assert.ok(Date.now() < deadline, `no client reached ${origin}:\n${app!.output.slice(-30).join('\n')}`);
    const res = await fetch(`${app!.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    if (!res.ok) { await res.text(); await new Promise((r) => setTimeout(r, 300)); continue; }
    const body = (await res.json()) as { url: string; accessToken: string };
    if (new URL(body.url).origin !== origin) continue;
    const c = new HubConnectionBuilder().withUrl(body.url, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => body.accessToken }).configureLogging(LogLevel.None).build();
    try {
      await c.start();
    } catch (err) {
      if (!/not connected yet/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 300));
      continue;
    }
    clients.push(c);
    assert.equal(await c.invoke('Echo', text), text);
    return;
  }
}

async function waitLogged(pattern: RegExp, from: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!app!.output.slice(from).some((l) => pattern.test(l))) {
    assert.ok(Date.now() < deadline, `the app never logged ${pattern}:\n${app!.output.slice(from).slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('removing the certificate app\'s role closes its open server connections (the SDK logs the reason, the endpoint goes offline); restoring it brings the endpoint back', { skip, timeout: 120_000 }, async () => {
  const arm = new Arm(lapis);
  const list = await arm.admin('GET', `${RES('seed-two')}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`);
  assert.equal(list.status, 200);
  type Assignment = { id: string; properties: { scope: string; principalId: string; roleDefinitionId: string } };
  const assignment = (list.body as { value: Assignment[] }).value.find((a) => a.properties.scope.toLowerCase() === RES('seed-two').toLowerCase());
  assert.ok(assignment, 'the App Server assignment on seed-two is listed');
  const from = app!.output.length;
  const two = new URL(endpoints.two);
  assert.equal((await arm.admin('DELETE', `${assignment.id}?api-version=2022-04-01`)).status, 200);
  await waitLogged(/received error message from service: The principal '.*' no longer has permission 'Microsoft\.SignalRService\/SignalR\/serverConnection\/write'/, from, 20_000);
  await waitLogged(new RegExp(`is now disconnected from .*${two.host}`, 'i'), from, 20_000);
  // Its reconnects are refused (403) meanwhile; negotiates go to endpoint one.
  await waitLogged(new RegExp(`${two.host}.*403|403.*${two.host}`), from, 20_000);
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${app!.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(res.status, 200);
    assert.equal(new URL(((await res.json()) as { url: string }).url).origin, new URL(endpoints.one).origin);
  }
  const back = app!.output.length;
  const put = await arm.admin('PUT', `${RES('seed-two')}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`,
    { properties: { roleDefinitionId: assignment.properties.roleDefinitionId, principalId: assignment.properties.principalId } });
  assert.ok(put.status === 200 || put.status === 201, `PUT answered ${put.status}: ${JSON.stringify(put.body)}`);
  // The SDK retries with back-off and logs the endpoint online again; clients negotiated to it work.
  await waitLogged(new RegExp(`is now connected to .*${two.host}`, 'i'), back, 60_000);
  await echoOn(two.origin, 'role restored');
});

test('one endpoint going away (its resource deleted through ARM) leaves the other serving', { skip, timeout: 90_000 }, async () => {
  const arm = new Arm(lapis);
  const seen = app!.output.length;
  const del = await arm.admin('DELETE', `${RES('seed-two')}?api-version=2024-03-01`);
  assert.ok(del.status === 200 || del.status === 202 || del.status === 204, `delete answered ${del.status}`);
  // The SDK logs its server connections to that endpoint as dropped, then fails to reconnect; negotiates go to the other one.
  const deadline = Date.now() + 30_000;
  const two = new URL(endpoints.two).host;
  while (!app!.output.slice(seen).some((l) => l.includes(two) && /was dropped|Failed to connect/.test(l))) {
    assert.ok(Date.now() < deadline, `no sign of the lost endpoint:\n${app!.output.slice(seen).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const one = new URL(endpoints.one).origin;
  let served = 0;
  for (let attempt = 0; attempt < 40 && served < 5; attempt++) {
    const res = await fetch(`${app!.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { url: string; accessToken: string };
    if (new URL(body.url).origin !== one) { await new Promise((r) => setTimeout(r, 500)); continue; }
    const c = new HubConnectionBuilder().withUrl(body.url, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => body.accessToken }).configureLogging(LogLevel.None).build();
    await c.start();
    clients.push(c);
    assert.equal(await c.invoke('Echo', `still ${served}`), `still ${served}`);
    served++;
  }
  assert.equal(served, 5, 'negotiates keep reaching the remaining endpoint');
});
