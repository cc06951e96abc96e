/**
 * Issue 16's connection-setup target, measured on its own: per round and contestant (order
 * alternating), a fresh server pinned to the server core, then N receivers connected exactly as
 * `npm run bench` connects them (same workers, tokens signed beforehand, 256 handshakes in flight).
 * Reported per contestant: setup rate, **server CPU per connection** (µs, from /proc: robust to
 * other load on the machine), generator CPU per connection, and the ratios to `ws-naive`.
 *
 *   node bench/setup-probe.ts [--kinds ws-naive,lapis-json] [--conns 5000] [--rounds 3] [--profile] [--out file.json]
 *
 * `--profile` starts Lapis with --cpu-prof (bench/results/profiles/) and prints each profiled
 * round's setup window in CLOCK_MONOTONIC µs, which is the clock of the profile's timestamps:
 * `node bench/profile-summary.ts <file> 40 --window <from>,<to>` summarises just the setup.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isLapis, KINDS } from './lib/contestants.ts';
import type { Kind } from './lib/contestants.ts';
import { WorkerPool } from './lib/pool.ts';
import { cpuSeconds, pin, sleep } from './lib/proc.ts';
import { prepareLapis, startContestant } from './lib/servers.ts';
import { LOAD_CORE } from './workloads.ts';
import { freshSourceAddresses } from './lib/local-address.ts';

const SERVER_CORE = 0;
const WORKERS = 4;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

const { values: argv } = parseArgs({
  options: {
    kinds: { type: 'string', default: 'ws-naive,lapis-json' },
    conns: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const kinds = argv.kinds!.split(',') as Kind[];
for (const k of kinds) if (!KINDS.includes(k)) throw new Error(`unknown contestant ${k}`);
const n = Number(argv.conns);
const rounds = Number(argv.rounds);
const log = (s: string) => process.stderr.write(`${s}\n`);
const monoUs = () => Number(process.hrtime.bigint() / 1000n);

interface Round { rate: number; serverUs: number; genUs: number; window?: [number, number] }
const results: Partial<Record<Kind, Round[]>> = {};

async function one(pool: WorkerPool, lapis: Awaited<ReturnType<typeof prepareLapis>>, kind: Kind): Promise<Round> {
  const srv = await startContestant(kind, SERVER_CORE, lapis);
  try {
    await sleep(1000); // start-up work (JIT of the boot path, timers) settles first
    const per = Math.ceil(n / WORKERS);
    const sources = freshSourceAddresses(); // as run.ts: no TIME_WAIT sockets of earlier rounds on them
    const gen0 = pool.workers.reduce((a, w) => a + cpuSeconds(w.child.pid!), 0);
    const cpu0 = cpuSeconds(srv.pid);
    const from = monoUs();
    const replies = await Promise.all(pool.workers.map((w, i) => w.call('connect', {
      ep: srv.ep, from: i * per, to: Math.min(n, (i + 1) * per), groupSize: 10, concurrency: 64,
      localAddress: sources.of(i), timeoutMs: 30_000,
    })));
    const to = monoUs();
    const cpu1 = cpuSeconds(srv.pid);
    const gen1 = pool.workers.reduce((a, w) => a + cpuSeconds(w.child.pid!), 0);
    const failed = replies.reduce((a, r) => a + (r.failed as number), 0);
    if (failed > 0) throw new Error(`${failed} of ${n} connections failed: ${replies.flatMap((r) => r.errors as string[]).slice(0, 2).join(' / ')}`);
    const ms = Math.max(...replies.map((r) => r.ms as number));
    return { rate: n / (ms / 1000), serverUs: ((cpu1 - cpu0) / n) * 1e6, genUs: ((gen1 - gen0) / n) * 1e6, window: [from, to] };
  } finally {
    await pool.all('closeAll').catch(() => {});
    await srv.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

pin(process.pid, LOAD_CORE);
const work = mkdtempSync(join(tmpdir(), 'lapis-setup-probe-'));
const profileDir = join(RESULTS, 'profiles');
if (argv.profile) mkdirSync(profileDir, { recursive: true });
const lapis = await prepareLapis(work, argv.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
const pool = new WorkerPool(WORKERS, LOAD_CORE);
try {
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 === 0 ? kinds : [...kinds].reverse()) {
      const x = await one(pool, lapis, kind);
      (results[kind] ??= []).push(x);
      log(`[round ${r + 1}] ${kind.padEnd(12)} ${x.rate.toFixed(0).padStart(6)}/s  server ${x.serverUs.toFixed(0)} µs/conn  generators ${x.genUs.toFixed(0)} µs/conn` +
        `${argv.profile && isLapis(kind) ? `  window ${x.window![0]},${x.window![1]}` : ''}`);
    }
  }
} finally {
  await pool.close();
  rmSync(work, { recursive: true, force: true });
}
const base = results['ws-naive'];
const lines: string[] = [];
for (const k of kinds) {
  const xs = results[k]!;
  const rate = median(xs.map((x) => x.rate));
  const us = median(xs.map((x) => x.serverUs));
  let s = `${k.padEnd(12)} setup ${rate.toFixed(0).padStart(6)}/s  server ${us.toFixed(0).padStart(4)} µs/conn  generators ${median(xs.map((x) => x.genUs)).toFixed(0)} µs/conn`;
  if (base && k !== 'ws-naive') {
    const ratio = median(xs.map((x, i) => x.rate / (base[i]?.rate ?? Number.NaN)));
    const cpuRatio = median(base.map((b) => b.serverUs)) / us;
    s += `  rate ${ratio.toFixed(2)}× ws-naive (same rounds), per server CPU ${cpuRatio.toFixed(2)}×`;
  }
  lines.push(s);
}
process.stdout.write(`${n} connections, ${rounds} rounds:\n${lines.join('\n')}\n`);
if (argv.out) writeFileSync(argv.out, `${JSON.stringify({ conns: n, rounds, results }, null, 1)}\n`);
