/**
 * The token-endpoint row alone, for before/after comparisons on a busy machine:
 *
 *   node bench/identity-probe.ts [--rounds 5] [--ms 2000] [--concurrency 16] [--profile] [--out file.json]
 *
 * Starts the benchmark's Lapis (the same world, `lapis-json` contestant) pinned to the server core,
 * measures `crypto.sign` RSA-2048 on that core (bench/crypto-rates.ts rs256), then runs the
 * identity row (`client_credentials` over HTTPS, keep-alive) for each round and prints per round
 * the rate, the server's CPU (all its threads: the libuv pool included) and tokens per server
 * CPU-second, which other processes stealing the core do not move. `--profile` starts Lapis with
 * `--cpu-prof` into bench/results/profiles/ (read with `node bench/profile-summary.ts`).
 * `--bare sync,pool,none` then measures bench/servers/bare-token-server.ts the same way (a token
 * endpoint with no framework and no directory, Lapis's TLS certificate): the floor of Node's
 * HTTPS + one signature per request, against which Lapis's own cost is read.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cryptoRate } from './lib/crypto-baseline.ts';
import { cpuSeconds, pin, printedPort, spawnNode, stop } from './lib/proc.ts';
import { prepareLapis, startContestant, type LapisReady } from './lib/servers.ts';
import { tlsPaths } from '../src/tls/index.ts';
import { identityRate } from './identity-workloads.ts';

const SERVER_CORE = 0;
const LOAD_CORE = 1;
const { values: argv } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    ms: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
    bare: { type: 'string' },
  },
});

pin(process.pid, LOAD_CORE);
const profileDir = fileURLToPath(new URL('./results/profiles', import.meta.url));
if (argv.profile) {
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
}
const work = mkdtempSync(join(tmpdir(), 'lapis-identity-probe-'));
const lapis = await prepareLapis(work, argv.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
const rs = await cryptoRate('rs256', SERVER_CORE, 1000);
type Round = { rate: number; serverCpu: number; perCpuSecond: number; errors: number };

/** Warm-up, then the identity row round by round with the server's CPU over each. */
async function measure(label: string, pid: number, ready: LapisReady): Promise<Round[]> {
  const rounds: Round[] = [];
  await identityRate(ready, 500, Number(argv.concurrency)); // warm-up (JIT, TLS sessions)
  for (let r = 0; r < Number(argv.rounds); r++) {
    const c0 = cpuSeconds(pid);
    const t0 = performance.now();
    const x = await identityRate(ready, Number(argv.ms), Number(argv.concurrency));
    const secs = (performance.now() - t0) / 1000;
    const serverCpu = (cpuSeconds(pid) - c0) / secs;
    if (!x.available) throw new Error(`${label}: ${x.note}`);
    rounds.push({ rate: x.rate!, serverCpu, perCpuSecond: x.rate! / Math.max(serverCpu, 0.05), errors: x.errors ?? 0 });
    process.stderr.write(`${label} round ${r + 1}: ${x.rate!.toFixed(0)} tokens/s, server ${(serverCpu * 100).toFixed(0)}% → ${(x.rate! / serverCpu).toFixed(0)} tokens per server CPU-s, ${x.errors} errors\n`);
  }
  return rounds;
}

const srv = await startContestant('lapis-json', SERVER_CORE, lapis);
let rounds: Round[];
const bare: Record<string, Round[]> = {};
try {
  try {
    rounds = await measure('lapis', srv.pid, srv.ready!);
  } finally {
    await srv.stop();
  }
  for (const mode of argv.bare ? argv.bare.split(',') : []) {
    const tls = tlsPaths(lapis.dataDir);
    const child = spawnNode({ core: SERVER_CORE, cwd: fileURLToPath(new URL('..', import.meta.url)), args: ['bench/servers/bare-token-server.ts', tls.cert, tls.key, mode] });
    try {
      const port = await printedPort(child, `bare-${mode}`);
      const host = new URL(srv.ready!.authorityHost);
      host.port = String(port);
      bare[mode] = await measure(`bare-${mode}`, child.pid!, { ...srv.ready!, authorityHost: host.origin });
    } finally {
      await stop(child, 5000, 'SIGTERM');
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = {
  when: new Date().toISOString(),
  loadavg: loadavg(),
  rs256Sign: rs.rate,
  rs256SignPerCpuSecond: rs.perCpuSecond ?? Number.NaN,
  rate: median(rounds.map((r) => r.rate)),
  perCpuSecond: median(rounds.map((r) => r.perCpuSecond)),
  rounds,
  bare: Object.fromEntries(Object.entries(bare).map(([m, rs]) => [m, { rate: median(rs.map((r) => r.rate)), perCpuSecond: median(rs.map((r) => r.perCpuSecond)), rounds: rs }])),
};
process.stdout.write(`RS256 sign ${rs.rate.toFixed(0)}/s; token endpoint median ${summary.rate.toFixed(0)}/s (${(summary.rate / rs.rate).toFixed(2)}×), ` +
  `${summary.perCpuSecond.toFixed(0)} tokens per server CPU-s vs ${summary.rs256SignPerCpuSecond.toFixed(0)} signatures per CPU-s (${(summary.perCpuSecond / summary.rs256SignPerCpuSecond).toFixed(2)}×); load ${summary.loadavg.map((l) => l.toFixed(1)).join(' ')}\n`);
for (const [m, b] of Object.entries(summary.bare)) {
  process.stdout.write(`bare ${m}: median ${b.rate.toFixed(0)}/s, ${b.perCpuSecond.toFixed(0)} tokens per server CPU-s (${(b.perCpuSecond / summary.rs256SignPerCpuSecond).toFixed(2)}× signing; Lapis ${(summary.perCpuSecond / b.perCpuSecond).toFixed(2)}× of it)\n`);
}
if (argv.out) writeFileSync(argv.out, `${JSON.stringify(summary, null, 2)}\n`);
process.exit(0);
