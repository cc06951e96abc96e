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
