/**
 * A PostgreSQL server of the test's own (initdb in a temp directory, a free port, trust auth on
 * 127.0.0.1), so a test can stop and restart it without touching the shared one. Runs the
 * server binaries as the `postgres` user when the tests run as root (PostgreSQL refuses root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivatePostgres {
  url: string;
  stop(): void;
  start(): void;
  /** Stops the server and removes its files. */
  destroy(): void;
}

function findBinDir(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(dir, 'initdb'))) return dir;
  } catch { /* no pg_config: look where Debian puts the server */ }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const version of readdirSync(root).sort().reverse()) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Why a private server can't be run here, or undefined. */
export function privatePostgresUnavailable(): string | undefined {
  if (!findBinDir()) return 'PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package';
  try {
    runAs();
  } catch {
    return 'running as root but there is no postgres user to run a private PostgreSQL server as';
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = findBinDir()!;
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'lapis-pg-'));
  const data = join(dir, 'data');
  if (user) chownSync(dir, user.uid, user.gid);
  const port = await freePort();
  const run = (tool: string, args: string[]) => {
    const r = spawnSync(join(bin, tool), args, { cwd: dir, encoding: 'utf8', timeout: 60_000, ...(user ?? {}) });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error?.message}`);
  };
  run('initdb', ['-D', data, '-U', 'lapis', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const pgCtl = (action: string, ...extra: string[]) => run('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), ...extra, action]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => pgCtl('start', '-o', options);
  const stop = () => pgCtl('stop', '-m', 'fast');
  start();
  return {
    url: `postgresql://lapis@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy() {
      try { stop(); } catch { /* already stopped */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
