/**
 * A cluster of real `lapis start` processes (as an operator runs them): one PostgreSQL database, one
 * Redis prefix, one master key, a data directory and a port offset per node. For the tests that
 * kill a node or put a load balancer in front; in-process nodes (./cluster.ts) cover the rest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadyInfo } from '../../src/server/ready.ts';
import { trustCa } from './lapis.ts';
import { createThrowawayDatabase, testRedis, type ThrowawayDatabase } from './services.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'lapis.js');

export interface ProcessNode {
  name: string;
  offset: number;
  child: ChildProcess;
  ready: ReadyInfo;
  output(): string;
}

export interface ProcessCluster {
  nodes: ProcessNode[];
  /** The main HTTPS port before offsets (what a load balancer listens on). */
  basePort: number;
  start(index: number): Promise<ProcessNode>;
  kill(node: ProcessNode, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `count` consecutive free ports from a random base (checked by binding each once). The block lies
 * below the kernel's ephemeral range (Linux: 32768–60999), where the outgoing connections of
 * concurrent tests take their local ports: a port free at the check stays free until the node binds.
 */
export async function freePortBlock(count: number, spread: number[]): Promise<number> {
  const top = Math.max(...spread) + count;
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 12000 + Math.floor(Math.random() * (32000 - 12000 - top));
    const ports = spread.flatMap((offset) => Array.from({ length: count }, (_, i) => base + offset + i));
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
  throw new Error('no free block of ports found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * Starts `nodes` processes with offsets 100, 200, … over `basePort` (main HTTPS) and `basePort + 1`
 * (main HTTP); the world file may declare resource ports above them. `extraArgs` go to every node.
 */
export async function startProcessCluster(opts: { nodes: number; basePort: number; config: (basePort: number) => object; extraArgs?: string[] }): Promise<ProcessCluster> {
  const db: ThrowawayDatabase = await createThrowawayDatabase();
  const redis = testRedis();
  const root = mkdtempSync(join(tmpdir(), 'lapis-pcluster-'));
  const masterKeyFile = join(root, 'master.key');
  writeFileSync(masterKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const configPath = join(root, 'world.json');
  writeFileSync(configPath, JSON.stringify(opts.config(opts.basePort)));
  const backplane = `${redis.url}?prefix=${encodeURIComponent(redis.prefix)}`;
  const nodes: ProcessNode[] = [];

  const start = async (index: number): Promise<ProcessNode> => {
    const name = `pnode-${index + 1}`;
    const offset = (index + 1) * 100;
    const dataDir = join(root, name);
    rmSync(join(dataDir, 'ready.json'), { force: true });
    const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--config', configPath,
      '--https-port', String(opts.basePort), '--http-port', String(opts.basePort + 1), '--port-offset', String(offset),
      '--store', db.url, '--backplane', backplane, '--node-name', name, '--master-key-file', masterKeyFile,
      '--log-level', 'warn', ...opts.extraArgs ?? []], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => { out = (out + b.toString()).slice(-20000); });
    child.stderr!.on('data', (b: Buffer) => { out = (out + b.toString()).slice(-20000); });
    const readyFile = join(dataDir, 'ready.json');
    for (let i = 0; i < 600 && !existsSync(readyFile); i++) {
      if (child.exitCode !== null) throw new Error(`${name} exited early (${child.exitCode}): ${out}`);
      await sleep(100);
    }
    if (!existsSync(readyFile)) { child.kill('SIGKILL'); throw new Error(`${name}: ready.json did not appear: ${out}`); }
    const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as ReadyInfo;
    trustCa(ready.caCertPath);
    const node = { name, offset, child, ready, output: () => out };
    nodes[index] = node;
    return node;
  };

  const kill = async (node: ProcessNode, signal: NodeJS.Signals = 'SIGTERM') => {
    if (node.child.exitCode !== null || node.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => node.child.once('exit', () => r()));
    node.child.kill(signal);
    await exited;
  };

  try {
    // One after the other: the first creates the world, the CA and the issuer; the others join it.
    for (let i = 0; i < opts.nodes; i++) await start(i);
  } catch (err) {
    for (const n of nodes) if (n) n.child.kill('SIGKILL');
    await db.drop().catch(() => {});
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes, basePort: opts.basePort, start, kill,
    async stop() {
      await Promise.all(nodes.filter(Boolean).map((n) => kill(n)));
      await db.drop().catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}
