/**
 * The contestants of the cluster benchmark (issue 13), each one or two server processes:
 * - `lapis-1`: one Lapis node as a user starts it by default (embedded store, no backplane);
 * - `lapis-2`: two Lapis nodes on one PostgreSQL database and one Redis (`--store`, `--backplane`,
 *   `--port-offset`), started one after the other as docs/cluster.md says;
 * - `socketio-2`: two Socket.IO processes joined by `@socket.io/redis-adapter` on the same Redis.
 * Every server process is pinned to a core of its own (node A core 0, node B core 1). Each session
 * gets a fresh database and a fresh Redis prefix / channel key, removed when it stops.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { Endpoint } from './contestants.ts';
import { printedPort, sleep, spawnNode, stop } from './proc.ts';
import { BENCH_KEYS, lapisWorld, startContestant } from './servers.ts';
import type { LapisReady, LapisSetup } from './servers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const CLUSTER_KINDS = ['lapis-1', 'lapis-2', 'socketio-2'] as const;
export type ClusterKind = (typeof CLUSTER_KINDS)[number];

export const CLUSTER_LABELS: Record<ClusterKind, string> = {
  'lapis-1': 'Lapis, one node',
  'lapis-2': 'Lapis, 2 nodes + Redis',
  'socketio-2': 'Socket.IO, 2 processes + Redis',
};

/** The servers' cores: node A, node B. (`lapis-1` uses the first only.) */
export const NODE_CORES = [0, 1] as const;

export const POSTGRES_ADMIN_URL = process.env.LAPIS_BENCH_POSTGRES_URL ?? 'postgresql://lapis:lapis@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.LAPIS_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ClusterRunning {
  kind: ClusterKind;
  /** One endpoint per server process (node A first); receivers are spread evenly over them. */
  eps: Endpoint[];
  pids: number[];
  stop(): Promise<void>;
}

export interface ClusterSetup {
  workDir: string;
  /** The single node's setup (bench/lib/servers.ts), reused as is. */
  single: LapisSetup;
  masterKeyFile: string;
  nodeFlags: string[];
}

export function prepareCluster(workDir: string, single: LapisSetup): ClusterSetup {
  const masterKeyFile = join(workDir, 'master.key');
  writeFileSync(masterKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return { workDir, single, masterKeyFile, nodeFlags: single.nodeFlags };
}

/** Why the cluster contestants cannot run here (PostgreSQL or Redis unreachable), or undefined. */
export async function clusterUnavailable(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('SELECT 1');
  } catch (err) {
    return `PostgreSQL not reachable (${(err as Error).message}); set LAPIS_BENCH_POSTGRES_URL`;
  } finally {
    await c.end().catch(() => {});
  }
  const r = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    return `Redis not reachable at ${REDIS_URL} (${(err as Error).message}); set LAPIS_BENCH_REDIS_URL`;
  } finally {
    r.disconnect();
  }
  return undefined;
}

/** The Redis server's pid (to read its CPU time), when it runs on this machine. */
export async function redisPid(): Promise<number | undefined> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    const m = /process_id:(\d+)/.exec(await r.info('server'));
    const pid = m ? Number(m[1]) : undefined;
    return pid && existsSync(`/proc/${pid}/stat`) ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

export async function startCluster(kind: ClusterKind, s: ClusterSetup): Promise<ClusterRunning> {
  switch (kind) {
    case 'lapis-1': {
      const one = await startContestant('lapis-json', NODE_CORES[0], s.single);
      return { kind, eps: [one.ep], pids: [one.pid], stop: () => one.stop() };
    }
    case 'lapis-2': return startLapisPair(s);
    case 'socketio-2': return startSocketIoPair();
  }
}

async function pgAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  c.on('error', () => {});
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function dropRedisKeys(pattern: string): Promise<void> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A base port whose base..base+3 and base+100..base+103 are free (main HTTPS/HTTP, resource HTTPS/HTTP, two nodes). */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const ports = [0, 100].flatMap((o) => [0, 1, 2, 3].map((i) => base + o + i));
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
  throw new Error('no free block of ports found');
}

async function startLapisPair(s: ClusterSetup): Promise<ClusterRunning> {
  const tag = randomBytes(5).toString('hex');
  const db = `lapis_bench_${tag}`;
  const prefix = `lapis-bench-${tag}:`;
  await pgAdmin(`CREATE DATABASE ${db}`);
  const dbUrl = new URL(POSTGRES_ADMIN_URL);
  dbUrl.pathname = `/${db}`;
  const base = await freeBase();
  const root = join(s.workDir, `cluster-${tag}`);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const world = lapisWorld(s.single.rbacDeclared) as { resources: Record<string, unknown>[] };
  world.resources[0]!.ports = { https: base + 2, http: base + 3 };
  const configPath = join(root, 'world.json');
  writeFileSync(configPath, JSON.stringify(world, null, 2));
  const nodes: { pid: number; ep: Endpoint; stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await pgAdmin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
    await dropRedisKeys(`${prefix}*`).catch(() => {});
    rmSync(root, { recursive: true, force: true });
  };
  try {
    // One after the other: the first creates the world, the CA and the issuer; the second joins it.
    for (const [i, core] of NODE_CORES.entries()) {
      const name = `bench-node-${i + 1}`;
      nodes.push(await startLapisNode({
        core, dataDir: join(root, name), nodeFlags: s.nodeFlags,
        args: ['--config', configPath, '--https-port', String(base), '--http-port', String(base + 1), '--port-offset', String(i * 100),
          '--store', dbUrl.toString(), '--backplane', `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`, '--node-name', name,
          '--master-key-file', s.masterKeyFile],
      }));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { kind: 'lapis-2', eps: nodes.map((n) => n.ep), pids: nodes.map((n) => n.pid), stop: stopAll };
}

async function startLapisNode(o: { core: number; dataDir: string; nodeFlags: string[]; args: string[] }): Promise<{ pid: number; ep: Endpoint; stop(): Promise<void> }> {
  const readyPath = join(o.dataDir, 'ready.json');
  const child = spawnNode({ core: o.core, cwd: ROOT, args: [...o.nodeFlags, 'bin/lapis.js', 'start', '--data-dir', o.dataDir, '--log-level', 'warn', ...o.args] });
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 60_000;
  while (!existsSync(readyPath)) {
    if (child.exitCode !== null) throw new Error(`Lapis node exited (${child.exitCode}) before ready: ${log}`);
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`Lapis node was not ready in 60 s: ${log}`);
    }
    await sleep(50);
  }
  const ready = JSON.parse(readFileSync(readyPath, 'utf8')) as LapisReady;
  const res = ready.resources.find((r) => r.name === 'bench');
  if (!res) throw new Error('ready.json has no resource named bench');
  const ep: Endpoint = { kind: 'lapis-json', port: Number(new URL(res.httpEndpoint).port), key: BENCH_KEYS.primaryKey, origin: res.httpEndpoint.replace(/\/$/, '') };
  return {
    pid: child.pid!,
    ep,
    stop: async () => {
      await stop(child, 15_000, 'SIGINT');
      if (child.exitCode !== 0 && child.exitCode !== null) process.stderr.write(`bench: Lapis node exited with ${child.exitCode}: ${log.slice(-800)}\n`);
    },
  };
}

async function startSocketIoPair(): Promise<ClusterRunning> {
  const key = `bench-socket.io-${randomBytes(5).toString('hex')}`;
  const procs: { pid: number; port: number; stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    await Promise.all(procs.map((p) => p.stop()));
  };
  try {
    for (const core of NODE_CORES) procs.push(await startSocketIo(core, key));
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { kind: 'socketio-2', eps: procs.map((p) => ({ kind: 'socketio', port: p.port })), pids: procs.map((p) => p.pid), stop: stopAll };
}

async function startSocketIo(core: number, key: string): Promise<{ pid: number; port: number; stop(): Promise<void> }> {
  const child = spawnNode({ core, cwd: ROOT, args: ['bench/servers/socketio-cluster-server.ts', REDIS_URL, key] });
  const port = await printedPort(child, 'socketio-2');
  return { pid: child.pid!, port, stop: () => stop(child, 5000, 'SIGTERM') };
}
