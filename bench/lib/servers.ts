/**
 * Starting and stopping contestants, each a child process pinned to the server core.
 * Lapis is started exactly as a user would (`bin/lapis.js start`) with a declared world whose
 * access keys and client secret are known, and reached through its resource's plain-HTTP origin.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLapis, isSignalR, LAPIS_HUB } from './contestants.ts';
import type { Endpoint, Kind } from './contestants.ts';
import { printedPort, sleep, spawnNode, stop } from './proc.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const BENCH_TENANT = '7e57be9c-0000-4000-8000-00000000be9c';
export const BENCH_SUBSCRIPTION = '7e57be9c-0000-4000-8000-0000000005b5';
export const BENCH_APP_ID = '7e57be9c-0000-4000-8000-0000000000a9';
export const BENCH_SECRET = 'bench-client-secret-0123456789abcdef';
export const BENCH_KEYS = {
  primaryKey: 'benchPrimaryAccessKey0123456789abcdefghijklmnop',
  secondaryKey: 'benchSecondaryAccessKey0123456789abcdefghijklmn',
};

export interface LapisReady {
  tenantId: string;
  authorityHost: string;
  caCertPath: string;
  resources: { name: string; endpoint: string; httpEndpoint: string; id: string }[];
  /** The main plain-HTTP listener (`/metrics`). */
  httpUrl: string;
}

export interface Running {
  kind: Kind;
  pid: number;
  ep: Endpoint;
  /** Lapis only. */
  ready?: LapisReady;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The world the benchmark declares; `withRbac` adds a role assignment for the client app. */
export function lapisWorld(withRbac: boolean): Record<string, unknown> {
  const world: Record<string, unknown> = {
    tenantId: BENCH_TENANT,
    subscriptionId: BENCH_SUBSCRIPTION,
    applications: [{ displayName: 'bench-client', appId: BENCH_APP_ID, passwordCredentials: [{ displayName: 'bench', secretText: BENCH_SECRET }] }],
    resources: [{
      type: 'Microsoft.SignalRService/webPubSub',
      name: 'bench',
      resourceGroup: 'rg-bench',
      accessKeys: BENCH_KEYS,
      hubs: [{ name: LAPIS_HUB, properties: { anonymousConnectPolicy: 'allow' } }],
    }],
  };
  if (withRbac) {
    world.roleAssignments = [{
      principal: 'bench-client',
      roleDefinitionName: 'Web PubSub Service Owner',
      scope: `/subscriptions/${BENCH_SUBSCRIPTION}/resourceGroups/rg-bench`,
    }];
  }
  return world;
}

export const SIGNALR_RESOURCE = 'bench-signalr';

/**
 * The world of the SignalR contestants: one serverless SignalR resource with the same keys, in a
 * Lapis of its own (so that the Web PubSub contestants run exactly as before SignalR existed).
 */
export function signalrWorld(): Record<string, unknown> {
  return {
    tenantId: BENCH_TENANT,
    subscriptionId: BENCH_SUBSCRIPTION,
    resources: [{
      type: 'Microsoft.SignalRService/signalR',
      name: SIGNALR_RESOURCE,
      resourceGroup: 'rg-bench',
      accessKeys: BENCH_KEYS,
      properties: { features: [{ flag: 'ServiceMode', value: 'Serverless' }] },
    }],
  };
}

export interface LapisSetup {
  dataDir: string;
  configPath: string;
  /** The SignalR contestants' world and data directory. */
  signalrConfigPath: string;
  signalrDataDir: string;
  /** Whether the config carries a role assignment (Lapis accepted it). */
  rbacDeclared: boolean;
  rbacNote: string;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags: string[];
}

/** Validates the world with Lapis's own validator, dropping the role assignment if this version refuses it. */
export async function prepareLapis(workDir: string, nodeFlags: string[]): Promise<LapisSetup> {
  const { validateConfig } = await import('../../src/config/index.ts');
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const configPath = join(workDir, 'bench-world.json');
  let rbacDeclared = true;
  let rbacNote = '';
  try {
    validateConfig(lapisWorld(true), configPath);
  } catch (err) {
    rbacDeclared = false;
    rbacNote = `config refuses roleAssignments: ${String((err as Error).message).split('\n').slice(1).join(' ').trim()}`;
  }
  writeFileSync(configPath, JSON.stringify(lapisWorld(rbacDeclared), null, 2));
  const signalrConfigPath = join(workDir, 'bench-signalr-world.json');
  validateConfig(signalrWorld(), signalrConfigPath);
  writeFileSync(signalrConfigPath, JSON.stringify(signalrWorld(), null, 2));
  return { dataDir: join(workDir, 'data'), configPath, signalrConfigPath, signalrDataDir: join(workDir, 'data-signalr'), rbacDeclared, rbacNote, nodeFlags };
}

export async function startContestant(kind: Kind, core: number, lapis: LapisSetup): Promise<Running> {
  if (isLapis(kind) || isSignalR(kind)) {
    const sr = isSignalR(kind);
    return startLapis(kind, core, { dataDir: sr ? lapis.signalrDataDir : lapis.dataDir, configPath: sr ? lapis.signalrConfigPath : lapis.configPath, nodeFlags: lapis.nodeFlags, resource: sr ? SIGNALR_RESOURCE : 'bench' });
  }
  const script = kind === 'socketio' ? 'bench/servers/socketio-server.ts' : 'bench/servers/ws-server.ts';
  const args = kind === 'socketio' ? [script] : [script, kind === 'ws-cork' ? 'cork' : 'naive'];
  const child = spawnNode({ core, args, cwd: ROOT });
  const port = await printedPort(child, kind);
  return { kind, pid: child.pid!, ep: { kind, port }, child, stop: () => stop(child, 5000, 'SIGTERM') };
}

/** Starts Lapis with a given world; `resource` names the resource whose plain-HTTP origin the contestant uses. */
export async function startLapis(kind: Kind, core: number, s: { dataDir: string; configPath: string; nodeFlags: string[]; resource: string }): Promise<Running> {
  const dataDir = s.dataDir;
  const readyPath = join(dataDir, 'ready.json');
  rmSync(readyPath, { force: true });
  const child = spawnNode({
    core,
    cwd: ROOT,
    args: [...s.nodeFlags, 'bin/lapis.js', 'start', '--data-dir', dataDir, '--http-port', '0', '--https-port', '0', '--config', s.configPath, '--log-level', 'warn'],
  });
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 60_000;
  while (!existsSync(readyPath)) {
    if (child.exitCode !== null) throw new Error(`Lapis exited (${child.exitCode}) before ready: ${log}`);
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`Lapis was not ready in 60 s: ${log}`);
    }
    await sleep(50);
  }
  const ready = JSON.parse(readFileSync(readyPath, 'utf8')) as LapisReady;
  const name = s.resource;
  const res = ready.resources.find((r) => r.name === name);
  if (!res) throw new Error(`ready.json has no resource named ${name}`);
  const url = new URL(res.httpEndpoint);
  const ep: Endpoint = { kind, port: Number(url.port), key: BENCH_KEYS.primaryKey, origin: res.httpEndpoint.replace(/\/$/, '') };
  return {
    kind,
    pid: child.pid!,
    ep,
    ready,
    child,
    stop: async () => {
      await stop(child, 15_000, 'SIGINT');
      if (child.exitCode !== 0 && child.exitCode !== null) process.stderr.write(`bench: Lapis exited with ${child.exitCode}: ${log.slice(-800)}\n`);
    },
  };
}
