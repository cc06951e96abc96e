/**
 * Compares Lapis's own figures between benchmark results files, e.g. before and after a change
 * run in the same sitting:
 *
 *   node bench/compare.ts before-1.json,before-2.json after-1.json,after-2.json [--kinds lapis-json,lapis-simple]
 *
 * Each side may pool several runs (comma-separated). Per cell and contestant it prints the median
 * absolute rate and the median rate per second of server CPU (deliveries per CPU-second on the
 * server's core), which is far less sensitive to other processes stealing that core than the rate
 * itself, the after/before ratio of both, and the best round of each side (on a busy machine the
 * best round is the closest to what an idle machine gives).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cellLabel, median } from './report.ts';
import type { Results } from './report.ts';
import type { FlowResult } from './workloads.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { kinds: { type: 'string', default: 'lapis-simple,lapis-json' } } });
if (positionals.length !== 2) {
  process.stderr.write('usage: node bench/compare.ts before.json[,before2.json] after.json[,after2.json] [--kinds a,b]\n');
  process.exit(2);
}
const load = (list: string): Results[] => list.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as Results);
const [before, after] = positionals.map(load) as [Results[], Results[]];
const kinds = values.kinds!.split(',');

function pooled(runs: Results[], id: string, kind: string): FlowResult[] {
  const out: FlowResult[] = [];
  for (const r of runs) {
    const c = r.cells?.find((x) => x.id === id);
    for (const f of (c?.rounds as Record<string, (FlowResult | null)[]> | undefined)?.[kind] ?? []) if (f) out.push(f);
  }
  return out;
}

const k = (x: number) => (Number.isFinite(x) ? `${(x / 1e3).toFixed(0)}k` : 'n/a');
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

const ids = [...new Set([...before, ...after].flatMap((r) => (r.cells ?? []).map((c) => c.id)))];
process.stdout.write(`${pad('cell', 52)}${pad('kind', 14)}${pad('rate before → after', 26)}${pad('per server CPU-s before → after', 34)}${pad('best round before → after', 28)}\n`);
for (const id of ids) {
  const cell = [...after, ...before].flatMap((r) => r.cells ?? []).find((c) => c.id === id)!;
  for (const kind of kinds) {
    const b = pooled(before, id, kind);
    const a = pooled(after, id, kind);
    if (a.length === 0 && b.length === 0) continue;
    const rb = median(b.map((x) => x.rate));
    const ra = median(a.map((x) => x.rate));
    const eb = median(b.map((x) => x.rate / Math.max(x.serverCpu, 0.05)));
    const ea = median(a.map((x) => x.rate / Math.max(x.serverCpu, 0.05)));
    const bb = Math.max(...b.map((x) => x.rate));
    const ba = Math.max(...a.map((x) => x.rate));
    process.stdout.write(`${pad(cellLabel(cell), 52)}${pad(kind, 14)}${pad(`${k(rb)} → ${k(ra)} (${(ra / rb).toFixed(2)}×)`, 26)}${pad(`${k(eb)} → ${k(ea)} (${(ea / eb).toFixed(2)}×)`, 34)}` +
      `${pad(`${k(bb)} → ${k(ba)} (${(ba / bb).toFixed(2)}×)`, 28)}n=${b.length}/${a.length}\n`);
  }
}
// Connection setup (at the run's largest count): rate, and server CPU per connection where recorded.
for (const kind of kinds) {
  const rates = (runs: Results[]) => runs.flatMap((r) => r.setup?.[kind as keyof Results['setup']] ?? []);
  const cpu = (runs: Results[]) => runs.flatMap((r) => r.setupCpuUs?.[kind as keyof Results['setup']] ?? []);
  const [rb, ra] = [median(rates(before)), median(rates(after))];
  if (!Number.isFinite(rb) && !Number.isFinite(ra)) continue;
  const [cb, ca] = [median(cpu(before)), median(cpu(after))];
  const us = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} µs` : 'n/a');
  process.stdout.write(`${pad('connection setup/s', 52)}${pad(kind, 14)}${pad(`${rb.toFixed(0)} → ${ra.toFixed(0)} (${(ra / rb).toFixed(2)}×)`, 26)}` +
    `server CPU per connection ${us(cb)} → ${us(ca)}${Number.isFinite(cb / ca) ? ` (${(cb / ca).toFixed(2)}× per CPU-s)` : ''}\n`);
}

// Issue 16's upstream row (`npm run bench -- --upstream` writes it alone): round trips per second
// and per second of server CPU, and the ratio to the bare client of the same round.
const upstreamRounds = (runs: Results[]) => runs.flatMap((r) => r.upstream?.rounds ?? []);
const ub = upstreamRounds(before);
const ua = upstreamRounds(after);
if (ub.length > 0 || ua.length > 0) {
  const med = (rs: typeof ub, f: (x: (typeof ub)[number]) => number) => median(rs.map(f));
  const rate = (x: (typeof ub)[number]) => x.lapis;
  const perCpu = (x: (typeof ub)[number]) => x.lapis / Math.max(x.lapisServerCpu, 0.05);
  const ratio = (x: (typeof ub)[number]) => x.lapis / x.bare;
  const line = (label: string, f: (x: (typeof ub)[number]) => number, digits: number) => {
    const b = med(ub, f);
    const a = med(ua, f);
    process.stdout.write(`${pad(label, 52)}${pad(`${b.toFixed(digits)} → ${a.toFixed(digits)} (${(a / b).toFixed(2)}×)`, 34)}n=${ub.length}/${ua.length}\n`);
  };
  process.stdout.write('\nupstream row (median over rounds, before → after)\n');
  line('round trips/s', rate, 0);
  line('round trips per server CPU-second', perCpu, 0);
  line('ratio to the bare client of the same round', ratio, 2);
}
