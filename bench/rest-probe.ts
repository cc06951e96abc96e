/**
 * Server CPU per REST unicast request, for before/after comparisons of the REST per-request path
 * (issue 16) that the benchmark's 1.2 s windows are too short to settle. Starts one contestant
 * pinned to the server core as `npm run bench` does, connects the receivers, then drives the
 * benchmark's own pre-signed unicast sends (1,024 in flight) for a longer window and prints
 * requests/s, server CPU and server CPU µs per request, per round. With `--profile` Lapis runs
 * with `--cpu-prof` and the probe prints the profile's self time inside the measured windows only
 * (start-up and connection set-up left out).
 *
 *   node bench/rest-probe.ts [--kind lapis-json|ws-naive] [--target user|conn] [--conns 1000]
 *                            [--seconds 5] [--rounds 3] [--profile] [--top 40]
 *
 * Per-request CPU is the figure to compare on a busy machine: another process stealing the
 * server's core lowers the rate, not the CPU each request costs. Alternate before and after runs.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isAnyLapis, KINDS, type Kind, type SendTarget } from './lib/contestants.ts';
import { WorkerPool } from './lib/pool.ts';
import { pin, sleep } from './lib/proc.ts';
import { prepareLapis, startContestant } from './lib/servers.ts';
import { LOAD_CORE, restFlow, unicastRequests } from './workloads.ts';

const { values: argv } = parseArgs({
  options: {
    kind: { type: 'string', default: 'lapis-json' },
    target: { type: 'string', default: 'user' },
    conns: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    top: { type: 'string', default: '40' },
  },
});
const kind = argv.kind as Kind;
if (!KINDS.includes(kind)) throw new Error(`unknown contestant ${kind}`);
const n = Number(argv.conns);
const measureMs = Number(argv.seconds) * 1000;
const SERVER_CORE = 0;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const profileDir = join(ROOT, 'bench/results/profiles');

pin(process.pid, LOAD_CORE);
const work = mkdtempSync(join(tmpdir(), 'lapis-rest-probe-'));
if (argv.profile) {
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
}
const lapis = await prepareLapis(work, argv.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
const pool = new WorkerPool(4, LOAD_CORE);
const windows: [number, number][] = [];
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
try {
  // The bare peer is profiled too (its --cpu-prof through the environment of that one child).
  if (argv.profile && !isAnyLapis(kind)) process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${profileDir}`;
  const srv = await startContestant(kind, SERVER_CORE, lapis);
  delete process.env.NODE_OPTIONS;
  try {
    await sleep(300);
    const per = Math.ceil(n / 4);
    const replies = await Promise.all(pool.workers.map((w, i) => w.call('connect', {
      ep: srv.ep, from: i * per, to: Math.min(n, (i + 1) * per), groupSize: 10, concurrency: 64, localAddress: `127.0.0.${10 + i}`, timeoutMs: 30_000,
    })));
    const ids = new Map<number, string>();
    for (const r of replies) for (const [i, id] of r.ids as [number, string][]) ids.set(i, id);
    await sleep(1000);
    const targets: SendTarget[] = Array.from({ length: n }, (_, i) => (argv.target === 'conn'
      ? { scope: 'connection', id: isAnyLapis(kind) ? ids.get(i)! : `c${i}` }
      : { scope: 'user', user: `u${i}` }));
    const requests = unicastRequests(srv.ep, targets, 100);
    for (let round = 0; round < Number(argv.rounds); round++) {
      const warmMs = 1000;
      const t = monotonicUs();
      windows.push([t + warmMs * 1000, t + (warmMs + measureMs) * 1000]);
      const r = await restFlow({ pool, pid: srv.pid, ep: srv.ep, requests, fanout: 1, window: 1024, maxInFlight: 1024, timing: { warmMs, measureMs, drainMs: 8000 } });
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      process.stdout.write(`${kind} ${argv.target} round ${round + 1}: ${r.rate.toFixed(0)} req/s, server ${(r.serverCpu * 100).toFixed(0)}% of a core, ` +
        `${(r.serverCpu / r.rate * 1e6).toFixed(1)} µs server CPU per request, generators ${(r.genCpu * 100).toFixed(0)}%, errors ${r.errors}${r.firstError ? ` (${r.firstError})` : ''}, lost ${r.lost}, load ${load}\n`);
    }
  } finally {
    await srv.stop();
  }
} finally {
  await pool.close();
  rmSync(work, { recursive: true, force: true });
}

if (argv.profile) summarise(Number(argv.top));

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number }

/** Self time per function and per file, counting only samples inside the measured windows. */
function summarise(top: number): void {
  const file = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
  if (!file) return;
  const p = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<number, number>();
  let t = p.startTime;
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (!windows.some(([a, b]) => t >= a && t <= b)) continue;
    const dt = p.timeDeltas[i + 1] ?? 0;
    const node = byId.get(p.samples[i]!)!;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    self.set(node.id, (self.get(node.id) ?? 0) + dt);
  }
  const where = (x: ProfileNode) => {
    const u = x.callFrame.url.replace(/^file:\/\//, '');
    if (!u) return '(native)';
    if (u.startsWith('node:')) return u;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
    return m ? `node_modules/${m[1]}` : relative(ROOT, u);
  };
  process.stdout.write(`\nprofile ${file}: ${(total / 1e6).toFixed(2)} s busy, ${(idle / 1e6).toFixed(2)} s idle inside the windows\n\nself time by function:\n`);
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of self) {
    const x = byId.get(id)!;
    const key = `${x.callFrame.functionName || '(anonymous)'}  ${where(x)}:${x.callFrame.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    byFile.set(where(x), (byFile.get(where(x)) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  // Inclusive time: each function once per sample in which it is on the stack.
  const parent = new Map<number, number>();
  for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const x = byId.get(at)!;
      if (!x.callFrame.url) continue;
      const key = `${x.callFrame.functionName || '(anonymous)'}  ${where(x)}:${x.callFrame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${k}\n`);
  process.stdout.write('\ninclusive time by function (JavaScript):\n');
  for (const [k, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${k}\n`);
  process.stdout.write('\nself time by file / package:\n');
  for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25)) process.stdout.write(`${pct(us)}  ${k}\n`);
}
