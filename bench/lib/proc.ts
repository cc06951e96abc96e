/**
 * Child processes of the benchmark: spawned pinned to a core (taskset execs the program, so the
 * pid is the program's), fd limit raised to the hard limit, every one tracked and killed on exit,
 * Ctrl-C or error. Plus /proc readers for RSS and CPU time.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set<ChildProcess>();
let hooked = false;

export const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
export const hardFdLimit = Number(spawnSync('sh', ['-c', 'ulimit -Hn']).stdout?.toString().trim()) || 1024;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

function hook(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const c of children) {
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping every child process\n`);
      killAll();
      process.exit(130);
    });
  }
}

export function track(child: ChildProcess): ChildProcess {
  hook();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Pins an already running process (e.g. this one) to a core. */
export function pin(pid: number, core: number): void {
  if (hasTaskset) spawnSync('taskset', ['-cp', String(core), String(pid)], { stdio: 'ignore' });
}

export interface SpawnOptions {
  core: number;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  ipc?: boolean;
  /** Where the child's stdout goes ('pipe' lets the caller read it). */
  stdout?: 'pipe' | 'inherit' | 'ignore';
}

/**
 * Node's on-disk compile cache for every process the benchmark starts: Lapis is some 400 TypeScript
 * modules, and a run starts it dozens of times; with the cache a start reuses the type-stripped
 * source and V8's code cache instead of redoing both (start-up only; it changes nothing once the
 * process runs). `NODE_COMPILE_CACHE` set by the caller wins (`NODE_DISABLE_COMPILE_CACHE=1` turns it off).
 */
const COMPILE_CACHE = join(tmpdir(), 'lapis-bench-compile-cache');

/** Spawns `node <args>` on a core with the soft fd limit raised to the hard one. */
export function spawnNode(o: SpawnOptions): ChildProcess {
  const node = process.execPath;
  const env = { NODE_COMPILE_CACHE: COMPILE_CACHE, ...(o.env ?? process.env) };
  const pinned = hasTaskset ? ['taskset', '-c', String(o.core), node] : [node];
  const quoted = [...pinned, ...o.args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const stdio: ('pipe' | 'inherit' | 'ignore' | 'ipc')[] = ['ignore', o.stdout ?? 'pipe', 'pipe'];
  if (o.ipc) stdio.push('ipc');
  const child = spawn('sh', ['-c', `ulimit -n ${hardFdLimit} 2>/dev/null; exec ${quoted}`], {
    cwd: o.cwd,
    env,
    stdio,
  });
  return track(child);
}

/** Resident set size in bytes (0 when the process is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** User+system CPU seconds consumed so far by a process. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Busy and total jiffies of one CPU (from /proc/stat). */
export function coreTimes(core: number): { busy: number; total: number } {
  if (!existsSync('/proc/stat')) return { busy: 0, total: 0 };
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${core} `));
  if (!line) return { busy: 0, total: 0 };
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** SIGINT (clean stop), then SIGKILL after `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 10_000, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!(await waitExit(child, graceMs))) {
    child.kill('SIGKILL');
    await waitExit(child, 2000);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The port a peer server prints as `{"port":n}` once it listens; its stderr is echoed with `label`. */
export function printedPort(child: ChildProcess, label: string, timeoutMs = 20_000): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`${label} did not start in ${timeoutMs / 1000} s: ${err}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
      process.stderr.write(`[${label}] ${d}`);
    });
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}) before listening: ${err}`)));
  });
}
