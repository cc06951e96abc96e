/**
 * Debian's HAProxy in front of a process cluster (./cluster-process.ts): one TCP frontend per base
 * port, passing TLS through to the same port plus each node's offset (100, 200, …), round robin,
 * with health checks so a killed node leaves the rotation.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before } from 'node:test';
import { freePortBlock, startProcessCluster, type ProcessCluster } from './cluster-process.ts';

export const haproxyMissing: string | undefined = spawnSync('haproxy', ['-v']).error ? 'haproxy is not installed (.ci/run installs it from Debian)' : undefined;

export function haproxyConfig(ports: number[], nodes: number): string {
  const lines = ['global', '  maxconn 4096', 'defaults', '  mode tcp', '  timeout connect 2s', '  timeout client 60s', '  timeout server 60s', '  option redispatch', '  retries 2'];
  for (const port of ports) {
    lines.push(`frontend f${port}`, `  bind 127.0.0.1:${port}`, `  default_backend b${port}`);
    lines.push(`backend b${port}`, '  balance roundrobin');
    for (let i = 1; i <= nodes; i++) lines.push(`  server n${i} 127.0.0.1:${port + i * 100} check inter 500 fall 2 rise 1`);
  }
  return `${lines.join('\n')}\n`;
}

export interface Haproxy { stop(): void }

/** Starts HAProxy for `ports` and waits until `readyUrl` answers through it. */
export async function startHaproxy(ports: number[], nodes: number, readyUrl: string): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-haproxy-'));
  writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(ports, nodes));
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'ignore'] });
  child.on('error', () => {});
  for (let i = 0; i < 100; i++) {
    if (await fetch(readyUrl).then((r) => r.ok, () => false)) break;
    await sleep(100);
  }
  return {
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BalancedCluster {
  cluster: ProcessCluster;
  /** The main HTTPS port the balancer listens on; the world's one resource is on `base + 2` (HTTP `base + 3`). */
  base: number;
}

/**
 * Three `lapis` processes (offsets 100, 200, 300) with `--public-url https://localhost:<base>`, and
 * HAProxy on `base` and `base + 2`; started before the file's tests, stopped after. `world(base)`
 * must declare its one resource on ports `base + 2` / `base + 3`. Nothing starts when `skip` is set.
 */
export function balancedCluster(skip: string | undefined, world: (base: number) => object): { readonly cluster: ProcessCluster; readonly base: number } {
  const nodes = 3;
  let cluster: ProcessCluster | undefined;
  let lb: Haproxy | undefined;
  let base = 0;
  before(async () => {
    if (skip) return;
    base = await freePortBlock(4, [0, 100, 200, 300]);
    cluster = await startProcessCluster({ nodes, basePort: base, extraArgs: ['--public-url', `https://localhost:${base}`], config: world });
    lb = await startHaproxy([base, base + 2], nodes, `https://localhost:${base + 2}/api/health`);
  });
  after(async () => {
    lb?.stop();
    await cluster?.stop();
  });
  return { get cluster() { return cluster!; }, get base() { return base; } };
}
