/**
 * Runs bench/crypto-rates.ts as a child pinned to a core (the server core, while no contestant
 * runs) and returns its rate per second (and per CPU-second of the loop), or NaN with a reason.
 */
import { fileURLToPath } from 'node:url';
import { spawnNode } from './proc.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs crypto-rates.ts with `mode` on `core`; its last stdout line (JSON) or the reason it failed. */
async function runRates(mode: string, core: number, ms: number): Promise<{ json?: unknown; error?: string }> {
  const child = spawnNode({ core, cwd: ROOT, args: ['bench/crypto-rates.ts', mode, String(ms)] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) return { error: `crypto-rates ${mode} failed (${code}): ${err.slice(-300)}` };
  return { json: JSON.parse(line) };
}

export async function cryptoRate(mode: 'hs256' | 'rs256', core: number, ms: number): Promise<{ rate: number; perCpuSecond?: number; error?: string }> {
  const { json, error } = await runRates(mode, core, ms);
  if (error !== undefined) return { rate: Number.NaN, error };
  const r = json as { rate: number; ops: number; cpuS?: number };
  return { rate: r.rate, perCpuSecond: r.cpuS ? r.ops / r.cpuS : undefined };
}

/** Both baselines in one child (one process start): the HS256 client-token check, then RS256 signing. */
export async function cryptoRates(core: number, ms: number): Promise<{ hs256: number; rs256: number; rs256PerCpuSecond?: number; error?: string }> {
  const { json, error } = await runRates('both', core, ms);
  if (error !== undefined) return { hs256: Number.NaN, rs256: Number.NaN, error };
  const j = json as { hs256: { rate: number }; rs256: { rate: number; ops: number; cpuS?: number } };
  return { hs256: j.hs256.rate, rs256: j.rs256.rate, rs256PerCpuSecond: j.rs256.cpuS ? j.rs256.ops / j.rs256.cpuS : undefined };
}
