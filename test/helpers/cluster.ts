/**
 * Several Lapis nodes in this process sharing one PostgreSQL database and one Redis (with a key
 * prefix of their own), each with its own data directory, as `lapis start --store … --backplane …`
 * would run them. `clusterUnavailable()` says why the cluster tests must skip.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLapis, type LapisNode } from '../../src/server/node.ts';
import { createLogger } from '../../src/log/index.ts';
import { trustCa } from './lapis.ts';
import { createThrowawayDatabase, postgresUnavailable, redisUnavailable, testRedis, type ThrowawayDatabase } from './services.ts';

export interface TestCluster {
  nodes: LapisNode[];
  storeUrl: string;
  /** Starts one more node on the same store and backplane. */
  addNode(): Promise<LapisNode>;
  /** Stops one node (as SIGTERM would); the others go on. */
  stopNode(node: LapisNode): Promise<void>;
  stop(): Promise<void>;
}

export async function clusterUnavailable(): Promise<string | undefined> {
  return (await postgresUnavailable()) ?? (await redisUnavailable());
}

export async function startTestCluster(opts: { nodes?: number; config?: object; logLevel?: string; redisUrl?: string } = {}): Promise<TestCluster> {
  const db: ThrowawayDatabase = await createThrowawayDatabase();
  const redis = { ...testRedis(), ...opts.redisUrl ? { url: opts.redisUrl } : {} };
  const root = mkdtempSync(join(tmpdir(), 'lapis-cluster-'));
  const masterKeyFile = join(root, 'master.key');
  writeFileSync(masterKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  let configPath: string | undefined;
  if (opts.config) {
    configPath = join(root, 'world.json');
    writeFileSync(configPath, JSON.stringify(opts.config));
  }
  const backplane = `${redis.url}${redis.url.includes('?') ? '&' : '?'}prefix=${encodeURIComponent(redis.prefix)}`;
  const nodes: LapisNode[] = [];
  let index = 0;
  const addNode = async () => {
    const name = `node-${++index}`;
    const dataDir = join(root, name);
    const log = createLogger({ level: opts.logLevel ?? process.env.LAPIS_TEST_LOG_LEVEL ?? 'silent' });
    const node = await startLapis({
      dataDir, configPath, httpPort: 0, httpsPort: 0, host: '127.0.0.1', logLevel: 'silent',
      store: db.url, backplane, nodeName: name, masterKeyFile,
    }, log);
    trustCa(node.ready.caCertPath);
    nodes.push(node);
    return node;
  };
  try {
    for (let i = 0; i < (opts.nodes ?? 2); i++) await addNode();
  } catch (err) {
    for (const n of nodes) await n.stop().catch(() => {});
    await db.drop().catch(() => {});
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes, storeUrl: db.url, addNode,
    async stopNode(node) {
      await node.stop();
      nodes.splice(nodes.indexOf(node), 1);
    },
    async stop() {
      for (const n of nodes.splice(0)) await n.stop().catch(() => {});
      await db.drop().catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}
