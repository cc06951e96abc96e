/**
 * Waits until a default-mode app serves clients through Lapis end to end. The app's negotiate
 * answers 200 as soon as the SDK counts a server connection as up, which can be a moment before
 * Lapis has that connection's handshake (the SDK is optimistic; Azure answers such an early client
 * "not connected yet" too), so readiness is proved with a real client, retried only on that answer.
 */
import { HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import type { DotnetApp } from './dotnet-app.ts';

export async function waitUntilServing(app: DotnetApp, hubPath = '/chat', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const fail = (why: string) => new Error(`the app never came online (${why}):\n${app.output.slice(-30).join('\n')}`);
  for (;;) {
    const res = await fetch(`${app.url}${hubPath}/negotiate?negotiateVersion=1`, { method: 'POST' });
    await res.text();
    if (res.ok) {
      const probe = new HubConnectionBuilder().withUrl(`${app.url}${hubPath}`).configureLogging(LogLevel.None).build();
      try {
        await probe.start();
        await probe.stop();
        return;
      } catch (err) {
        if (!/not connected yet/.test((err as Error).message)) throw fail((err as Error).message);
      }
    }
    if (Date.now() > deadline) throw fail(`negotiate ${res.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
