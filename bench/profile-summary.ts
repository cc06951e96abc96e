/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`, written by Lapis at exit):
 * self time per function and per source file, heaviest first.
 *   node bench/profile-summary.ts [bench/results/profiles/<file>.cpuprofile] [top=30] [--during deliver] [--window <from>,<to>]
 * `--during <function>` keeps only the samples between the first and the last one whose stack holds
 * that function (e.g. `deliver`: the fan-out rows), so that start-up and connection set-up, which
 * dominate a short profiled run, do not drown the steady state.
 * `--window <from>,<to>` keeps only the samples taken between two CLOCK_MONOTONIC times in µs (the
 * profile's own clock; bench/setup-probe.ts prints the setup phase's window).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values: opts, positionals } = parseArgs({ allowPositionals: true, options: { during: { type: 'string' }, window: { type: 'string' } } });
let file = positionals[0];
const top = Number(positionals[1] ?? 30);
if (!file) {
  const dir = new URL('./results/profiles/', import.meta.url).pathname;
  const found = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  if (found.length === 0) throw new Error('no profile given and none in bench/results/profiles');
  file = join(dir, found[found.length - 1]!);
}
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const [from, to] = opts.during ? window(opts.during) : [0, p.samples.length - 1];
const self = new Map<number, number>();
const monoWindow = opts.window?.split(',').map(Number);
let at = p.startTime;
for (let i = 0; i < from; i++) at += p.timeDeltas[i] ?? 0;
for (let i = from; i <= to; i++) {
  at += p.timeDeltas[i] ?? 0;
  if (monoWindow && (at < monoWindow[0]! || at > monoWindow[1]!)) continue;
  const dt = p.timeDeltas[i + 1] ?? 0;
  self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
}

/** The first and last sample index whose stack holds a function named `fn`. */
function window(fn: string): [number, number] {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const holds = new Map<number, boolean>();
  const inStack = (id: number): boolean => {
    let v = holds.get(id);
    if (v === undefined) {
      const up = parent.get(id);
      v = byId.get(id)!.callFrame.functionName === fn || (up !== undefined && inStack(up));
      holds.set(id, v);
    }
    return v;
  };
  let first = -1;
  let last = -1;
  for (let i = 0; i < p.samples.length; i++) {
    if (!inStack(p.samples[i]!)) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0) throw new Error(`no sample has ${fn} on its stack`);
  return [first, last];
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const root = process.cwd();
const where = (n: Node) => {
  const u = n.callFrame.url.replace(/^file:\/\//, '');
  return u ? `${u.startsWith(root) ? relative(root, u) : u}:${n.callFrame.lineNumber + 1}` : '(native)';
};
const byFn = new Map<string, number>();
const byFile = new Map<string, number>();
let idle = 0;
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const name = n.callFrame.functionName || '(anonymous)';
  if (name === '(idle)') {
    idle += us;
    continue;
  }
  const key = `${name}  ${where(n)}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
  const f = n.callFrame.url ? where(n).replace(/:\d+$/, '').replace(/^.*node_modules\/([^/]+)\/.*$/, 'node_modules/$1') : name.startsWith('(') ? name : '(native)';
  byFile.set(f, (byFile.get(f) ?? 0) + us);
}
const busy = total - idle;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const span = opts.during ? ` (only while ${opts.during} ran: samples ${from}–${to})` : '';
console.log(`${file}${span}\n${(total / 1e6).toFixed(1)} s sampled, ${(idle / 1e6).toFixed(1)} s idle; shares below are of the busy ${(busy / 1e6).toFixed(1)} s\n`);
console.log('self time by function:');
for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);
console.log('\nself time by file / package:');
for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${pct(us)}  ${k}`);
