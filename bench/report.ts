/**
 * Turns the raw rounds into the ratio table (stdout), the JSON file, the SVG chart and the
 * PASS/FAIL lines of issue 7's targets. Ratios are medians over rounds of per-round ratios to the
 * baseline measured in the same round; the spread is the min–max of those per-round ratios, and
 * the baseline's own round-to-round spread is the noise floor.
 */
import { KINDS } from './lib/contestants.ts';
import type { Kind } from './lib/contestants.ts';
import type { FlowResult, LatencyResult, RateResult } from './workloads.ts';
import type { UpstreamResult } from './upstream-workload.ts';
import { signalrTargets } from './report-signalr.ts';

export const BASELINE: Kind = 'ws-naive';

export interface CellResult {
  id: string;
  workload: 'rest-broadcast' | 'rest-group' | 'group-broadcast' | 'small-group' | 'unicast-user' | 'unicast-conn';
  conns: number;
  size: number;
  fanout: number;
  /** Per contestant, per round (null: not applicable or failed; see notes). */
  rounds: Partial<Record<Kind, (FlowResult | null)[]>>;
}

export interface Results {
  meta: Record<string, unknown>;
  cells: CellResult[];
  /** RSS growth per idle connection (bytes), per round, at `meta.memoryConns`. */
  memory: Partial<Record<Kind, number[]>>;
  /** Connections set up per second (upgrade + token validation), per round, at `meta.memoryConns`. */
  setup: Partial<Record<Kind, number[]>>;
  /** Server CPU per connection set up (µs, from /proc), same rounds as `setup` (absent in older files). */
  setupCpuUs?: Partial<Record<Kind, number[]>>;
  latency: Partial<Record<Kind, LatencyResult>>;
  identity?: RateResult[];
  rbac?: RateResult;
  /** Issue 16's same-run crypto baselines on the server core (per second). */
  crypto?: { hs256Verify?: number; rs256Sign?: number; rs256SignPerCpuSecond?: number };
  /** Issue 16's upstream row. */
  upstream?: UpstreamResult;
  notes: string[];
}

export const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface Ratio {
  median: number;
  min: number;
  max: number;
  value: number;
}

/** Per-round ratio of `kind` to the baseline of the same round, for a metric. */
export function ratioOf(cell: CellResult, kind: Kind): Ratio | undefined {
  const base = cell.rounds[BASELINE] ?? [];
  const mine = cell.rounds[kind] ?? [];
  const per: number[] = [];
  const vals: number[] = [];
  for (let r = 0; r < mine.length; r++) {
    const m = mine[r];
    if (!m) continue;
    vals.push(m.rate);
    const b = base[r];
    if (b && b.rate > 0) per.push(m.rate / b.rate);
  }
  if (vals.length === 0) return undefined;
  return { median: median(per), min: Math.min(...per), max: Math.max(...per), value: median(vals) };
}

/** Baseline spread across rounds: (max − min) / median. */
export function noiseFloor(cell: CellResult): number {
  const v = (cell.rounds[BASELINE] ?? []).filter((x): x is FlowResult => !!x).map((x) => x.rate);
  if (v.length < 2) return Number.NaN;
  return (Math.max(...v) - Math.min(...v)) / median(v);
}

export const fmtRate = (x: number): string => (!Number.isFinite(x) ? 'n/a' : x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const fmtRatio = (r: Ratio | undefined): string => (!r || !Number.isFinite(r.median) ? 'n/a' : `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})`);
const pct = (x: number): string => (Number.isFinite(x) ? `±${((x * 100) / 2).toFixed(0)}%` : 'n/a');

export function cellLabel(c: CellResult): string {
  const size = c.size >= 1024 ? `${c.size / 1024} KB` : `${c.size} B`;
  const what = {
    'rest-broadcast': 'broadcast (server send to all)',
    'rest-group': 'server send to group of all',
    'group-broadcast': 'client publish → group of all',
    'small-group': 'client publish → groups of 10',
    'unicast-user': 'unicast to user (REST)',
    'unicast-conn': 'unicast to connection (REST)',
  }[c.workload];
  return `${what}, ${c.conns.toLocaleString('en-US')} conns, ${size}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function flags(cell: CellResult, kind: Kind): string {
  const rs = (cell.rounds[kind] ?? []).filter((x): x is FlowResult => !!x);
  let f = '';
  if (rs.some((r) => r.lost !== 0 || r.errors > 0 || r.unexpectedCloses > 0)) f += '!';
  if (rs.length > 0 && median(rs.map((r) => r.serverCpu)) < 0.85) f += '~';
  return f;
}

export function table(res: Results, kinds: readonly Kind[]): string {
  const others = kinds.filter((k) => k !== BASELINE);
  const w0 = 52;
  const w = 22;
  const lines: string[] = [];
  lines.push(`${pad('workload (deliveries/s; ratio to ws naive, median (min–max) of rounds)', w0)}${pad('ws naive = 1.0', 18)}${pad('noise', 8)}${others.map((k) => pad(k, w)).join('')}`);
  lines.push('-'.repeat(w0 + 26 + others.length * w));
  for (const c of res.cells) {
    const b = ratioOf(c, BASELINE);
    let row = `${pad(cellLabel(c), w0)}${pad(`${fmtRate(b?.value ?? Number.NaN)}/s${flags(c, BASELINE)}`, 18)}${pad(pct(noiseFloor(c)), 8)}`;
    for (const k of others) {
      const r = ratioOf(c, k);
      row += pad(r ? `${fmtRatio(r)}${flags(c, k)}` : 'n/a', w);
    }
    lines.push(row);
  }
  const memBase = median(res.memory[BASELINE] ?? []);
  let mem = `${pad(`idle memory per connection (${res.meta.memoryConns} conns; lower is better)`, w0)}${pad(`${(memBase / 1024).toFixed(1)} KiB`, 18)}${pad('', 8)}`;
  for (const k of others) {
    const m = median(res.memory[k] ?? []);
    mem += pad(Number.isFinite(m) ? `${(m / 1024).toFixed(1)} KiB (${(m / memBase).toFixed(2)}×)` : 'n/a', w);
  }
  lines.push(mem);
  const setupBase = median(res.setup[BASELINE] ?? []);
  let setup = `${pad(`connection setup/s (${res.meta.memoryConns} conns, incl. token check)`, w0)}${pad(`${fmtRate(setupBase)}/s`, 18)}${pad('', 8)}`;
  for (const k of others) {
    const m = median(res.setup[k] ?? []);
    setup += pad(Number.isFinite(m) ? `${fmtRate(m)}/s (${(m / setupBase).toFixed(2)}×)` : 'n/a', w);
  }
  lines.push(setup);
  const lat = (k: Kind) => {
    const l = res.latency[k];
    return l ? `${l.p50Ms.toFixed(1)} / ${l.p99Ms.toFixed(1)} ms${l.received < l.expected ? '!' : ''}` : 'n/a';
  };
  lines.push(`${pad(`latency p50 / p99 (${res.meta.latencyConns} conns, 2 KB, 1 msg/s/sender)`, w0)}${pad(lat(BASELINE), 18)}${pad('', 8)}${others.map((k) => pad(lat(k), w)).join('')}`);
  lines.push('');
  const id = res.identity ?? [];
  const idRates = id.filter((r) => r.available).map((r) => r.rate!);
  lines.push(`identity token endpoint (client_credentials, HTTPS): ${idRates.length ? `${fmtRate(median(idRates))} requests/s` : `not available: ${id[0]?.note ?? 'not run'}`}`);
  lines.push(`RBAC-checked REST calls (Entra bearer token): ${res.rbac?.available ? `${fmtRate(res.rbac.rate!)} requests/s` : (res.rbac?.note ?? 'not run')}`);
  lines.push('');
  lines.push('! = messages lost, requests refused or connections dropped (see notes)   ~ = server below 85% of its core (load generator or flow control limited)');
  if (kinds.some((k) => k.startsWith('signalr-'))) lines.push('signalr-*: serverless SignalR clients do not publish (their messages go upstream), so only server-side (REST) rows apply; no latency run');
  return lines.join('\n');
}

export interface TargetLine {
  ok: boolean | null;
  text: string;
}

export function targets(res: Results): TargetLine[] {
  const out: TargetLine[] = [];
  const L: Kind = 'lapis-json';
  const bcast = res.cells.filter((c) => c.workload === 'rest-broadcast' || c.workload === 'group-broadcast');
  const vsPeer = (peer: Kind, need: number, name: string) => {
    const items = bcast.map((c) => {
      const mine = ratioOf(c, L);
      const theirs = ratioOf(c, peer);
      const r = mine && theirs ? mine.median / theirs.median : Number.NaN;
      return { c, r };
    }).filter((x) => Number.isFinite(x.r));
    if (items.length === 0) {
      out.push({ ok: null, text: `Lapis JSON broadcast ≥ ${need}× ${name}: not measured` });
      return;
    }
    const worst = items.reduce((a, b) => (b.r < a.r ? b : a));
    const failing = items.filter((x) => x.r < need);
    out.push({
      ok: failing.length === 0,
      text: `Lapis JSON broadcast ≥ ${need}× ${name}: worst ${worst.r.toFixed(2)}× (${cellLabel(worst.c)})` +
        (failing.length ? `; ${failing.length}/${items.length} cells below` : `; all ${items.length} cells`),
    });
  };
  // Issue 15: protobuf clients fan out at least as fast as JSON ones (same rounds, same cells).
  const deliveries = (c: CellResult, k: Kind) => median((c.rounds[k] ?? []).filter((x): x is FlowResult => !!x).map((x) => x.rate));
  const pb = bcast.map((c) => ({ c, r: deliveries(c, 'lapis-protobuf') / deliveries(c, L) })).filter((x) => Number.isFinite(x.r));
  if (pb.length > 0) {
    const worst = pb.reduce((a, b) => (b.r < a.r ? b : a));
    const below = pb.filter((x) => x.r < 1);
    out.push({
      ok: below.length === 0,
      text: `Lapis protobuf broadcast deliveries/s ≥ Lapis JSON: worst ${worst.r.toFixed(2)}× (${cellLabel(worst.c)})` +
        (below.length ? `; ${below.length}/${pb.length} cells below` : `; all ${pb.length} cells`),
    });
  }
  vsPeer(BASELINE, 3, 'ws naive');
  vsPeer('ws-cork', 0.7, 'ws frame-once + cork');
  vsPeer('socketio', 3, 'Socket.IO rooms');
  const memBase = median(res.memory[BASELINE] ?? []);
  for (const k of ['lapis-json', 'lapis-simple'] as Kind[]) {
    const m = median(res.memory[k] ?? []);
    if (!Number.isFinite(m) || !Number.isFinite(memBase)) {
      out.push({ ok: null, text: `${k} idle memory/conn ≤ 2× bare ws: not measured` });
      continue;
    }
    out.push({ ok: m <= 2 * memBase, text: `${k} idle memory/conn ≤ 2× bare ws: ${(m / 1024).toFixed(1)} KiB vs ${(memBase / 1024).toFixed(1)} KiB = ${(m / memBase).toFixed(2)}×` });
  }
  const rate = (c: CellResult | undefined) => (c ? median((c.rounds[L] ?? []).filter((x): x is FlowResult => !!x).map((x) => x.rate)) : Number.NaN);
  // Issue 16 replaced "unicast ≥ 0.5× broadcast per delivery" by the REST per-request target (report-issue16.ts).
  for (const wl of ['small-group'] as const) {
    const c = res.cells.find((x) => x.workload === wl);
    if (!c) continue;
    const ref = res.cells.find((x) => x.conns === c.conns && x.size === c.size && x.workload === (wl === 'small-group' ? 'group-broadcast' : 'rest-broadcast'));
    const r = rate(c) / rate(ref);
    out.push({
      ok: Number.isFinite(r) ? r >= 0.5 : null,
      text: `Lapis JSON ${wl} deliveries ≥ 0.5× ${ref?.workload ?? 'broadcast'} per delivered message: ${fmtRate(rate(c))}/s vs ${fmtRate(rate(ref))}/s = ${Number.isFinite(r) ? r.toFixed(2) : 'n/a'}×`,
    });
  }
  out.push(...signalrTargets(res));
  const lat = res.latency[L];
  const atTarget = res.meta.latencyConns === 10_000;
  out.push({
    ok: lat && atTarget ? lat.p99Ms < 50 && lat.received >= lat.expected * 0.999 : null,
    text: `Lapis JSON p99 < 50 ms at 10,000 connections: ${lat ? `p99 ${lat.p99Ms.toFixed(1)} ms (p50 ${lat.p50Ms.toFixed(1)}) at ${res.meta.latencyConns} connections` : 'not measured'}${atTarget ? '' : ' (quick mode: not at 10,000; informational)'}`,
  });
  return out;
}

export { KINDS };
