// Two endpoints, one of them going down and coming back, with the unmodified .NET app server
// (Microsoft.Azure.SignalR 1.34.0, connection strings) and the official @microsoft/signalr client.
// Endpoint two is reached through a TCP forwarder: cutting it is what an outage or a service
// restart looks like to the app. The SDK marks the endpoint offline, negotiates go to endpoint one,
// and once the forwarder listens again the SDK reconnects its server connections by itself and
// clients negotiated to endpoint two work again. (The status answers the SDK logs are checked in
// default-mode-lapis-scale.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { buildDotnetApp, startDotnetApp, type DotnetApp } from './dotnet-app.ts';
import { waitUntilServing } from './app-ready.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

const build = await buildDotnetApp();
const skip = build.ok ? false : build.reason;
let lapis: TestLapis;
let app: DotnetApp | undefined;
let proxy: TcpProxy | undefined;
let origins: { one: string; two: string };
const clients: HubConnection[] = [];

before(async () => {
  if (!build.ok) return;
  const keys = (n: string) => ({ primaryKey: `recovery-${n}-primary-key-0123456789ab`, secondaryKey: `recovery-${n}-secondary-key-0123456789` });
  lapis = await startTestLapis({
    config: {
      resources: ['one', 'two'].map((n) => ({ type: 'Microsoft.SignalRService/signalR', name: `recovery-${n}`, resourceGroup: 'rg-rec', accessKeys: keys(n) })),
    },
  });
  const cs = (name: string) => lapis.ready.resources.find((r) => r.name === name)!.connectionString!;
  const twoPort = Number(/Endpoint=https:\/\/localhost:(\d+)/.exec(cs('recovery-two'))![1]);
  proxy = await startTcpProxy(twoPort);
  const viaProxy = cs('recovery-two').replace(`localhost:${twoPort}`, `localhost:${proxy.port}`);
  origins = { one: /Endpoint=([^;]+)/.exec(cs('recovery-one'))![1]!, two: `https://localhost:${proxy.port}` };
  app = await startDotnetApp({
    dllPath: build.dllPath, caCertPath: lapis.ready.caCertPath,
    env: { LAPIS_APP_MODE: 'connection-string', LAPIS_CONNECTION_STRING: cs('recovery-one'), LAPIS_CONNECTION_STRING_2: viaProxy, LAPIS_SERVER_CONNECTION_COUNT: '2' },
    logLevels: { 'Microsoft.Azure.SignalR': 'Debug' },
  });
  await waitUntilServing(app);
}, { timeout: 120_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => {})));
  await app?.stop();
  await proxy?.close();
  await lapis?.stop();
});

/** Negotiates through the app until a client lands on `origin` (the SDK picks an online endpoint at random). */
async function clientOn(origin: string, timeoutMs = 30_000): Promise<HubConnection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    assert.ok(Date.now() < deadline, `no client reached ${origin}:\n${app!.output.slice(-30).join('\n')}`);
    const res = await fetch(`${app!.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    if (!res.ok) { await res.text(); await sleep(300); continue; }
    const body = (await res.json()) as { url: string; accessToken: string };
    if (new URL(body.url).origin !== origin) continue;
    const c = new HubConnectionBuilder().withUrl(body.url, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => body.accessToken })
      .configureLogging(LogLevel.None).build();
    try {
      await c.start();
    } catch (err) {
      // The SDK counts an endpoint online a moment before Lapis has the handshake ("not connected yet").
      if (!/not connected yet/.test((err as Error).message)) throw err;
      await sleep(300);
      continue;
    }
    clients.push(c);
    return c;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logged = (pattern: RegExp, from = 0) => app!.output.slice(from).some((l) => pattern.test(l));
async function waitLogged(pattern: RegExp, from: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!logged(pattern, from)) {
    assert.ok(Date.now() < deadline, `the app never logged ${pattern}:\n${app!.output.filter((l) => /is now|dropped|active=|Failed to connect|Connected to/i.test(l)).join('\n')}`);
    await sleep(200);
  }
}

test('endpoint two goes down: its clients are closed, negotiates go to endpoint one; it comes back: the SDK reconnects and clients on it work', { skip, timeout: 90_000 }, async () => {
  const onTwo = await clientOn(origins.two);
  const closed = new Promise<Error | undefined>((r) => onTwo.onclose((e) => r(e)));
  const from = app!.output.length;
  const twoHost = new URL(origins.two).host;
  await proxy!.down();
  await closed;
  await waitLogged(new RegExp(`Hub 'chathub' is now disconnected from .*${twoHost}`, 'i'), from, 20_000);
  // While it is down, every negotiate goes to endpoint one, and those clients work.
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${app!.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(res.status, 200);
    assert.equal(new URL(((await res.json()) as { url: string }).url).origin, origins.one);
  }
  const stayed = await clientOn(origins.one);
  assert.equal(await stayed.invoke('Echo', 'while down'), 'while down');

  await sleep(2000);
  const back = app!.output.length;
  await proxy!.up();
  // The SDK retries with back-off (1, 2, 4 … s) and logs the endpoint online again.
  await waitLogged(new RegExp(`Hub 'chathub' is now connected to .*${twoHost}`, 'i'), back, 45_000);
  const again = await clientOn(origins.two);
  assert.equal(await again.invoke('Echo', 'back'), 'back');
  // A broadcast from a client on endpoint two reaches the client on endpoint one, and back.
  const toOne = new Promise<unknown[]>((r) => stayed.on('broadcast', (...a: unknown[]) => r(a)));
  const toTwo = new Promise<unknown[]>((r) => again.on('broadcast', (...a: unknown[]) => r(a)));
  await again.invoke('Broadcast', 'after recovery');
  assert.equal((await toOne)[1], 'after recovery');
  assert.equal((await toTwo)[1], 'after recovery');
});
