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
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cryptoRate } from './lib/crypto-baseline.ts';
import { cpuSeconds, pin } from './lib/proc.ts';
import { prepareLapis, startContestant } from './lib/servers.ts';
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
const srv = await startContestant('lapis-json', SERVER_CORE, lapis);
const rounds: { rate: number; serverCpu: number; perCpuSecond: number; errors: number }[] = [];
try {
  await identityRate(srv.ready!, 500, Number(argv.concurrency)); // warm-up (JIT, TLS sessions)
  for (let r = 0; r < Number(argv.rounds); r++) {
    const c0 = cpuSeconds(srv.pid);
    const t0 = performance.now();
    const x = await identityRate(srv.ready!, Number(argv.ms), Number(argv.concurrency));
    const secs = (performance.now() - t0) / 1000;
    const serverCpu = (cpuSeconds(srv.pid) - c0) / secs;
    if (!x.available) throw new Error(x.note);
    rounds.push({ rate: x.rate!, serverCpu, perCpuSecond: x.rate! / Math.max(serverCpu, 0.05), errors: x.errors ?? 0 });
    process.stderr.write(`round ${r + 1}: ${x.rate!.toFixed(0)} tokens/s, server ${(serverCpu * 100).toFixed(0)}% → ${(x.rate! / serverCpu).toFixed(0)} tokens per server CPU-s, ${x.errors} errors\n`);
  }
} finally {
  await srv.stop();
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
};
process.stdout.write(`RS256 sign ${rs.rate.toFixed(0)}/s; token endpoint median ${summary.rate.toFixed(0)}/s (${(summary.rate / rs.rate).toFixed(2)}×), ` +
  `${summary.perCpuSecond.toFixed(0)} tokens per server CPU-s vs ${summary.rs256SignPerCpuSecond.toFixed(0)} signatures per CPU-s (${(summary.perCpuSecond / summary.rs256SignPerCpuSecond).toFixed(2)}×); load ${summary.loadavg.map((l) => l.toFixed(1)).join(' ')}\n`);
if (argv.out) writeFileSync(argv.out, `${JSON.stringify(summary, null, 2)}\n`);
process.exit(0);
