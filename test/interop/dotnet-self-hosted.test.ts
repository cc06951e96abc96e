// The baseline the default-mode tests and benchmark compare with: the same hub self-hosted in
// ASP.NET Core SignalR (LAPIS_APP_MODE=self-hosted, no Azure SDK), reached by the official .NET
// SignalR client on every transport and both protocols. It also proves the client driver
// (test/interop/dotnet-client.ts) before it is pointed at Lapis.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDotnetApp, buildDotnetClient, startDotnetApp } from './dotnet-app.ts';
import type { DotnetApp } from './dotnet-app.ts';
import { startDotnetClient } from './dotnet-client.ts';
import type { DotnetClient, Protocol, Transport } from './dotnet-client.ts';

const [appBuild, clientBuild] = await Promise.all([buildDotnetApp(), buildDotnetClient()]);
const skip = !appBuild.ok ? appBuild.reason : !clientBuild.ok ? clientBuild.reason : false;
let app: DotnetApp;

before(async () => {
  if (appBuild.ok) app = await startDotnetApp({ dllPath: appBuild.dllPath, env: { LAPIS_APP_MODE: 'self-hosted' } });
}, { timeout: 60_000 });

after(async () => {
  await app?.stop();
});

const TRANSPORTS: Transport[] = ['WebSockets', 'ServerSentEvents', 'LongPolling'];
const PROTOCOLS: Protocol[] = ['json', 'messagepack'];

/** A result object's field: JSON camel-cases property names, MessagePack keeps them as declared. */
function field(value: unknown, name: string): unknown {
  const entries = Object.entries(value as Record<string, unknown>);
  return entries.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

for (const transport of TRANSPORTS) {
  for (const protocol of PROTOCOLS) {
    // Server-Sent Events carry text only; SignalR refuses the binary MessagePack protocol on them.
    if (transport === 'ServerSentEvents' && protocol === 'messagepack') continue;
    test(`self-hosted, .NET client over ${transport} with ${protocol}: echo, identity, groups, users, broadcast, a client result`, { skip, timeout: 60_000 }, async () => {
      if (!clientBuild.ok) return;
      const tag = `${transport}-${protocol}`;
      const clients: DotnetClient[] = [];
      try {
        const start = (user: string) => startDotnetClient({ dllPath: clientBuild.dllPath, hubUrl: `${app.url}/chat?user=${user}&name=${user.toUpperCase()}&role=reader`, transport, protocol });
        const [a, b] = await Promise.all([start(`a-${tag}`), start(`b-${tag}`)]);
        clients.push(a, b);
        assert.equal(await a.invoke('Echo', ['héllo']), 'héllo');
        const who = await a.invoke('WhoAmI');
        assert.equal(field(who, 'userIdentifier'), `a-${tag}`);
        assert.equal(field(who, 'name'), `A-${tag}`.toUpperCase());
        assert.equal(await a.invoke('IsInRole', ['reader']), true);

        assert.equal(await b.invoke('JoinGroup', [`g-${tag}`]), `g-${tag}`);
        await a.invoke('SendToGroup', [`g-${tag}`, 'to-group']);
        assert.deepEqual((await b.waitForMessage((m) => m.target === 'group')).args, [`g-${tag}`, a.connectionId, 'to-group']);

        await a.invoke('SendToUser', [`b-${tag}`, 'to-user']);
        assert.deepEqual((await b.waitForMessage((m) => m.target === 'user')).args, [a.connectionId, 'to-user']);

        await b.invoke('Broadcast', [`all-${tag}`]);
        for (const c of [a, b]) await c.waitForMessage((m) => m.target === 'broadcast' && m.args[1] === `all-${tag}`);

        const res = await fetch(`${app.url}/api/ask/${b.connectionId}?question=why`, { method: 'POST' });
        assert.equal(await res.text(), 'answer:why');
      } finally {
        await Promise.all(clients.map((c) => c.stop()));
      }
    });
  }
}
