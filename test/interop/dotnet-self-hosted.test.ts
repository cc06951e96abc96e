// The baseline the default-mode tests and benchmark compare with: the same hub self-hosted in
// ASP.NET Core SignalR (LAPIS_APP_MODE=self-hosted, no Azure SDK), reached by the official .NET
// SignalR client on every transport and both protocols. It also proves the client driver
// (test/interop/dotnet-client.ts) before it is pointed at Lapis.
import { after, before, test } from 'node:test';
import { buildDotnetApp, buildDotnetClient, startDotnetApp } from './dotnet-app.ts';
import type { DotnetApp } from './dotnet-app.ts';
import { COMBINATIONS, askClient, exerciseHub, startPair } from './dotnet-client-scenario.ts';

const [appBuild, clientBuild] = await Promise.all([buildDotnetApp(), buildDotnetClient()]);
const skip = !appBuild.ok ? appBuild.reason : !clientBuild.ok ? clientBuild.reason : false;
let app: DotnetApp;

before(async () => {
  if (appBuild.ok) app = await startDotnetApp({ dllPath: appBuild.dllPath, env: { LAPIS_APP_MODE: 'self-hosted' } });
}, { timeout: 60_000 });

after(async () => {
  await app?.stop();
});

for (const [transport, protocol] of COMBINATIONS) {
  test(`self-hosted, .NET client over ${transport} with ${protocol}: echo, identity, groups, users, broadcast, a client result`, { skip, timeout: 60_000 }, async () => {
    if (!clientBuild.ok) return;
    const pair = await startPair({ dllPath: clientBuild.dllPath, appUrl: app.url, transport, protocol });
    try {
      await exerciseHub(pair);
      await askClient(app.url, pair);
    } finally {
      await Promise.all([pair.a.stop(), pair.b.stop()]);
    }
  });
}
