// One conversation of two official .NET SignalR clients with the test hub, shared by the
// self-hosted baseline and the runs through Lapis: echo, identity as the app sees it, groups,
// users, broadcast. Client results are separate (askClient) so a gap there is reported on its own.
import assert from 'node:assert/strict';
import { startDotnetClient } from './dotnet-client.ts';
import type { DotnetClient, Protocol, Transport } from './dotnet-client.ts';

/** SignalR refuses MessagePack over Server-Sent Events (text only), so five combinations, not six. */
export const COMBINATIONS: [Transport, Protocol][] = [
  ['WebSockets', 'json'], ['WebSockets', 'messagepack'], ['ServerSentEvents', 'json'], ['LongPolling', 'json'], ['LongPolling', 'messagepack'],
];

/** A result object's field, whatever the case of its name. */
export function field(value: unknown, name: string): unknown {
  return Object.entries(value as Record<string, unknown>).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

export interface Pair { a: DotnetClient; b: DotnetClient; tag: string }

/** Two clients (users a-<tag>, b-<tag>, role reader) through the app at `appUrl`. */
export async function startPair(opts: { dllPath: string; appUrl: string; transport: Transport; protocol: Protocol; caCertPath?: string }): Promise<Pair> {
  const tag = `${opts.transport}-${opts.protocol}`;
  const start = (user: string) => startDotnetClient({ ...opts, hubUrl: `${opts.appUrl}/chat?user=${user}&name=${user.toUpperCase()}&role=reader` });
  const [a, b] = await Promise.all([start(`a-${tag}`), start(`b-${tag}`)]);
  return { a, b, tag };
}

export async function exerciseHub({ a, b, tag }: Pair): Promise<void> {
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
}

/** The app asks client b through IHubContext (a client result) and must get b's answer. */
export async function askClient(appUrl: string, { b }: Pair): Promise<void> {
  const res = await fetch(`${appUrl}/api/ask/${b.connectionId}?question=why`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'answer:why');
}
