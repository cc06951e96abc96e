/**
 * The two contestants of the default-mode row, both the interop tests' ASP.NET Core app and hub:
 * - `self-hosted`: plain ASP.NET Core SignalR on Kestrel (LAPIS_APP_MODE=self-hosted, no Azure
 *   SDK), what a user runs instead of the service; the app is the server, pinned to the server core.
 * - `lapis`: the same app with Microsoft.Azure.SignalR (connection string) holding server
 *   connections to a Lapis pinned to the server core; the app runs on the load core, as a user's
 *   app server runs on machines of its own, and clients are redirected to Lapis by its negotiate.
 * Both are reached over plain HTTP (Lapis through its resource's plain-HTTP origin), so that TLS
 * is not part of either side's cost.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DotnetApp } from '../../test/interop/dotnet-app.ts';
import { waitUntilServing } from '../../test/interop/app-ready.ts';
import { startBenchApp } from './dotnet-app.ts';
import type { BenchApp } from './dotnet-app.ts';
import { BENCH_KEYS, BENCH_SUBSCRIPTION, BENCH_TENANT, SIGNALR_RESOURCE, startContestant } from './servers.ts';
import type { LapisSetup, Running } from './servers.ts';

export const DM_CONTESTANTS = ['self-hosted', 'lapis'] as const;
export type DmContestant = (typeof DM_CONTESTANTS)[number];
export const HUB_PATH = '/chat';

export interface DmRunning {
  contestant: DmContestant;
  /** Where clients negotiate: the app's origin. */
  appUrl: string;
  /** The process doing the service's work: Kestrel's app (self-hosted) or Lapis. */
  servicePid: number;
  /** The app server when it is a process of its own (Lapis mode). */
  appPid?: number;
  stop(): Promise<void>;
}

/** One SignalR resource in default mode (no ServiceMode feature: Default, as on Azure) with the bench's keys. */
export function defaultModeWorld(): Record<string, unknown> {
  return {
    tenantId: BENCH_TENANT,
    subscriptionId: BENCH_SUBSCRIPTION,
    resources: [{ type: 'Microsoft.SignalRService/signalR', name: SIGNALR_RESOURCE, resourceGroup: 'rg-bench', accessKeys: BENCH_KEYS }],
  };
}

/** Writes the world (validated by Lapis's own validator) and the Lapis start settings for this row. */
export async function prepareDefaultModeLapis(workDir: string, nodeFlags: string[]): Promise<LapisSetup> {
  const { validateConfig } = await import('../../src/config/index.ts');
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const configPath = join(workDir, 'bench-default-mode-world.json');
  validateConfig(defaultModeWorld(), configPath);
  writeFileSync(configPath, JSON.stringify(defaultModeWorld(), null, 2));
  const dataDir = join(workDir, 'data-default-mode');
  // startContestant starts a SignalR Lapis from the signalr* fields.
  return { dataDir, configPath, signalrConfigPath: configPath, signalrDataDir: dataDir, rbacDeclared: false, rbacNote: '', nodeFlags };
}

/** The shape waitUntilServing reads (url and output) over a bench app. */
function readinessView(app: BenchApp): DotnetApp {
  return { url: app.url, get output() { return app.tail().split('\n'); } } as unknown as DotnetApp;
}

export async function startDefaultMode(contestant: DmContestant, o: { dllPath: string; serverCore: number; appCore: number; lapis: LapisSetup }): Promise<DmRunning> {
  if (contestant === 'self-hosted') {
    const app = await startBenchApp({ dllPath: o.dllPath, core: o.serverCore, env: { LAPIS_APP_MODE: 'self-hosted' } });
    return { contestant, appUrl: app.url, servicePid: app.pid, stop: () => app.stop() };
  }
  const lapis: Running = await startContestant('signalr-json', o.serverCore, o.lapis);
  let app: BenchApp | undefined;
  try {
    const cs = `Endpoint=${lapis.ep.origin};AccessKey=${BENCH_KEYS.primaryKey};Version=1.0;`;
    app = await startBenchApp({ dllPath: o.dllPath, core: o.appCore, env: { LAPIS_APP_MODE: 'connection-string', LAPIS_CONNECTION_STRING: cs } });
    // The SDK reports the endpoint online a moment before Lapis has its server connections: wait on a real client.
    await waitUntilServing(readinessView(app), HUB_PATH, 60_000);
  } catch (err) {
    await app?.stop();
    await lapis.stop();
    throw err;
  }
  const started = app;
  return {
    contestant,
    appUrl: started.url,
    servicePid: lapis.pid,
    appPid: started.pid,
    stop: async () => {
      await started.stop();
      await lapis.stop();
    },
  };
}
