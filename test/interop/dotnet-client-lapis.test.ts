// The official .NET SignalR client (Microsoft.AspNetCore.SignalR.Client 10.0.15) through Lapis in
// default mode: the seed-002 app (connection-string mode) holds server connections to a Lapis
// resource; each client negotiates with the app, is redirected to Lapis's /client/ and reaches
// the hub through the relay, on every transport and both protocols (the conversation of
// dotnet-client-scenario.ts, the same as against the self-hosted baseline).
import { after, before, test } from 'node:test';
import { buildDotnetApp, buildDotnetClient, startDotnetApp } from './dotnet-app.ts';
import { waitUntilServing } from './app-ready.ts';
import type { DotnetApp } from './dotnet-app.ts';
import { COMBINATIONS, askClient, exerciseHub, startPair } from './dotnet-client-scenario.ts';
import type { Pair } from './dotnet-client-scenario.ts';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';

const T = '7d1e2f30-0000-4000-8000-0000000000d1';
const S = '7d1e2f30-0000-4000-8000-0000000000d2';

const [appBuild, clientBuild] = await Promise.all([buildDotnetApp(), buildDotnetClient()]);
const skip = !appBuild.ok ? appBuild.reason : !clientBuild.ok ? clientBuild.reason : false;
let lapis: TestLapis;
let app: DotnetApp | undefined;

before(async () => {
  if (!appBuild.ok || !clientBuild.ok) return;
  lapis = await startTestLapis({
    config: {
      tenantId: T, subscriptionId: S,
      resources: [{ type: 'Microsoft.SignalRService/signalR', name: 'dnclient', resourceGroup: 'rg-1', accessKeys: { primaryKey: 'dotnet-client-primary-key-0123456789abcdef', secondaryKey: 'dotnet-client-secondary-key-0123456789abcde' } }],
    },
  });
  app = await startDotnetApp({
    dllPath: appBuild.dllPath, caCertPath: lapis.ready.caCertPath,
    env: { LAPIS_APP_MODE: 'connection-string', LAPIS_CONNECTION_STRING: lapis.ready.resources.find((r) => r.name === 'dnclient')!.connectionString!, LAPIS_SERVER_CONNECTION_COUNT: '2' },
  });
  // Negotiate answers 500 until a server connection is up; a probe client proves the whole path.
  await waitUntilServing(app);
}, { timeout: 120_000 });

after(async () => {
  await app?.stop();
  await lapis?.stop();
});

const pairs = new Map<string, Pair>();

for (const [transport, protocol] of COMBINATIONS) {
  test(`through Lapis, .NET client over ${transport} with ${protocol}: echo, identity, groups, users, broadcast`, { skip, timeout: 60_000 }, async () => {
    if (!clientBuild.ok) return;
    const pair = await startPair({ dllPath: clientBuild.dllPath, appUrl: app!.url, transport, protocol, caCertPath: lapis.ready.caCertPath });
    pairs.set(pair.tag, pair);
    await exerciseHub(pair);
  });
}

for (const [transport, protocol] of COMBINATIONS) {
  test(`through Lapis, a client result: the app asks the .NET client over ${transport} with ${protocol} (IHubContext…InvokeAsync) and gets its answer`, { skip, timeout: 60_000 }, async () => {
    const pair = pairs.get(`${transport}-${protocol}`);
    if (!pair) throw new Error(`the ${transport}/${protocol} pair did not start`);
    await askClient(app!.url, pair);
  });
}

test('the clients stop cleanly', { skip, timeout: 60_000 }, async () => {
  await Promise.all([...pairs.values()].flatMap((p) => [p.a.stop(), p.b.stop()]));
});
