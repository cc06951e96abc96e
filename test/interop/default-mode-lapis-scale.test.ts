// Endpoints added and removed at run time (the SDK's "scale endpoints without restarting"): the
// unmodified .NET app (Microsoft.Azure.SignalR 1.34.0) reads its endpoints from a JSON file it
// reloads. Adding one makes the SDK ask every endpoint for its app-server list (`["servers",""]`)
// until all lists agree; removing one makes it wait until that endpoint reports no clients
// (`["status","0"]`). Lapis's answers let both finish at once instead of after the SDK's 5-minute
// scale timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { buildDotnetApp, startDotnetApp, type DotnetApp } from './dotnet-app.ts';
import { waitUntilServing } from './app-ready.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

const build = await buildDotnetApp();
const skip = build.ok ? false : build.reason;
let lapis: TestLapis;
let app: DotnetApp | undefined;
let dir = '';
let file = '';
const cs: Record<'one' | 'two', string> = { one: '', two: '' };
const clients: HubConnection[] = [];

/** Replaces the app's endpoints file in one step (the SDK reloads it on change). */
function writeEndpoints(endpoints: Partial<Record<'one' | 'two', string>>): void {
  const tmp = join(dir, 'next.json');
  writeFileSync(tmp, JSON.stringify({ Azure: { SignalR: { ConnectionString: endpoints } } }));
  renameSync(tmp, file);
}

before(async () => {
  if (!build.ok) return;
  const keys = (n: string) => ({ primaryKey: `scale-${n}-primary-key-0123456789abcde`, secondaryKey: `scale-${n}-secondary-key-0123456789abc` });
  lapis = await startTestLapis({
    config: { resources: ['one', 'two'].map((n) => ({ type: 'Microsoft.SignalRService/signalR', name: `scale-${n}`, resourceGroup: 'rg-scale', accessKeys: keys(n) })) },
  });
  for (const n of ['one', 'two'] as const) cs[n] = lapis.ready.resources.find((r) => r.name === `scale-${n}`)!.connectionString!;
  dir = mkdtempSync(join(tmpdir(), 'lapis-scale-'));
  file = join(dir, 'endpoints.json');
  writeEndpoints({ one: cs.one });
  app = await startDotnetApp({
    dllPath: build.dllPath, caCertPath: lapis.ready.caCertPath,
    env: { LAPIS_APP_MODE: 'config', LAPIS_ENDPOINTS_FILE: file, LAPIS_SERVER_CONNECTION_COUNT: '2' },
    logLevels: { 'Microsoft.Azure.SignalR': 'Debug' },
  });
  await waitUntilServing(app);
}, { timeout: 120_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => {})));
  await app?.stop();
  await lapis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const origin = (connectionString: string) => /Endpoint=([^;]+)/.exec(connectionString)![1]!;

async function waitLogged(pattern: RegExp, from: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = app!.output.slice(from).find((l) => pattern.test(l));
    if (line) return line;
    assert.ok(Date.now() < deadline, `the app never logged ${pattern}:\n${app!.output.slice(from).filter((l) => /endpoint|servers|status/i.test(l)).slice(-30).join('\n')}`);
    await sleep(200);
  }
}

/** Negotiates until a client lands on `target` (an origin), proves it with an echo. */
async function echoOn(target: string, text: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    assert.ok(Date.now() < deadline, `no client reached ${target}`);
    const res = await fetch(`${app!.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    if (!res.ok) { await res.text(); await sleep(300); continue; }
    const body = (await res.json()) as { url: string; accessToken: string };
    if (new URL(body.url).origin !== target) continue;
    const c = new HubConnectionBuilder().withUrl(body.url, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => body.accessToken }).configureLogging(LogLevel.None).build();
    try {
      await c.start();
    } catch (err) {
      if (!/not connected yet/.test((err as Error).message)) throw err;
      await sleep(300);
      continue;
    }
    clients.push(c);
    assert.equal(await c.invoke('Echo', text), text);
    return;
  }
}

test('an endpoint added at run time: the servers lists agree, the SDK finishes adding it at once, clients reach it', { skip, timeout: 90_000 }, async () => {
  const from = app!.output.length;
  writeEndpoints({ one: cs.one, two: cs.two });
  await waitLogged(/Start adding endpoint/i, from, 20_000);
  await waitLogged(/Received a servers tag ping from/, from, 20_000);
  const done = await waitLogged(/Succeed in adding endpoint|Timeout waiting for add/i, from, 30_000);
  assert.match(done, /Succeed in adding endpoint/);
  await echoOn(origin(cs.two), 'added');
});

test('an endpoint removed at run time: the SDK waits while it reports clients, finishes once it reports none, and negotiates stop going there', { skip, timeout: 120_000 }, async () => {
  // A client on endpoint two, seen by the SDK through a status answer ("1")…
  const two = new URL(origin(cs.two)).host;
  const seen = app!.output.length;
  await echoOn(origin(cs.two), 'still here');
  await waitLogged(new RegExp(`service status active=True from .*${two}`), seen, 30_000);
  // …is being removed: the SDK waits until endpoint two answers "0", which it does once the client left.
  const from = app!.output.length;
  writeEndpoints({ one: cs.one });
  await waitLogged(/Start removing endpoint/i, from, 20_000);
  await sleep(1000);
  assert.ok(!app!.output.slice(from).some((l) => /Succeed in removing endpoint/.test(l)), 'removal waits while the endpoint has clients');
  const left = app!.output.length;
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  const done = await waitLogged(/Succeed in removing endpoint|Timeout waiting for (clients disconnect|removing)/i, from, 60_000);
  assert.match(done, /Succeed in removing endpoint/);
  await waitLogged(new RegExp(`service status active=False from .*${two}`), left, 1);
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${app!.url}/chat/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(res.status, 200);
    assert.equal(new URL(((await res.json()) as { url: string }).url).origin, origin(cs.one));
  }
});
