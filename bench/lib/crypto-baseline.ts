/**
 * Runs bench/crypto-rates.ts as a child pinned to a core (the server core, while no contestant
 * runs) and returns its rate per second (and per CPU-second of the loop), or NaN with a reason.
 */
import { fileURLToPath } from 'node:url';
import { spawnNode } from './proc.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function cryptoRate(mode: 'hs256' | 'rs256', core: number, ms: number): Promise<{ rate: number; perCpuSecond?: number; error?: string }> {
  const child = spawnNode({ core, cwd: ROOT, args: ['bench/crypto-rates.ts', mode, String(ms)] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) return { rate: Number.NaN, error: `crypto-rates ${mode} failed (${code}): ${err.slice(-300)}` };
  const r = JSON.parse(line) as { rate: number; ops: number; cpuS?: number };
  return { rate: r.rate, perCpuSecond: r.cpuS ? r.ops / r.cpuS : undefined };
}
