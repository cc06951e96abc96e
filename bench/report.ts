/**
 * Turns the raw rounds into the ratio table (stdout), the JSON file, the SVG chart and the
 * PASS/FAIL lines of issue 7's targets. Ratios are medians over rounds of per-round ratios to the
 * baseline measured in the same round; the spread is the min–max of those per-round ratios, and
 * the baseline's own round-to-round spread is the noise floor.
 */
import { KINDS, LABELS } from './lib/contestants.ts';
import type { Kind } from './lib/contestants.ts';
import type { FlowResult, LatencyResult, RateResult } from './workloads.ts';
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
  latency: Partial<Record<Kind, LatencyResult>>;
  identity?: RateResult[];
  rbac?: RateResult;
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

const fmtRate = (x: number): string => (!Number.isFinite(x) ? 'n/a' : x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
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
  for (const wl of ['small-group', 'unicast-user', 'unicast-conn'] as const) {
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

const COLORS: Record<Kind, string> = {
  'ws-naive': '#9e9e9e',
  'ws-cork': '#424242',
  socketio: '#e6a700',
  'lapis-simple': '#64b5f6',
  'lapis-json': '#1565c0',
  'lapis-protobuf': '#00838f',
  'signalr-json': '#2e7d32',
  'signalr-msgpack': '#81c784',
  'signalr-sse': '#6a1b9a',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal grouped bars of the ratios (log scale), one group per workload, plus idle memory. */
export function svg(res: Results, kinds: readonly Kind[]): string {
  const rowH = 11;
  const groupGap = 12;
  const left = 300;
  const width = 980;
  const plotW = width - left - 90;
  const lo = 0.05;
  const hi = 32;
  const x = (v: number) => left + (Math.log(Math.min(hi, Math.max(lo, v)) / lo) / Math.log(hi / lo)) * plotW;
  const parts: string[] = [];
  let y = 70;
  const groups: { label: string; bars: { kind: Kind; v: number; lo?: number; hi?: number; text: string }[] }[] = [];
  for (const c of res.cells) {
    groups.push({
      label: cellLabel(c),
      bars: kinds.map((k) => {
        const r = ratioOf(c, k);
        return { kind: k, v: r?.median ?? Number.NaN, lo: r?.min, hi: r?.max, text: r ? `${r.median.toFixed(2)}×  ${fmtRate(r.value)}/s` : 'n/a' };
      }),
    });
  }
  const memBase = median(res.memory[BASELINE] ?? []);
  groups.push({
    label: `idle memory per conn vs ws (lower is better)`,
    bars: kinds.map((k) => {
      const m = median(res.memory[k] ?? []);
      return { kind: k, v: m / memBase, text: Number.isFinite(m) ? `${(m / memBase).toFixed(2)}×  ${(m / 1024).toFixed(1)} KiB` : 'n/a' };
    }),
  });
  const legendRows = Math.ceil(kinds.length / 4);
  const height = y + groups.length * (kinds.length * rowH + groupGap) + 24 + legendRows * 16;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="10">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="10" y="20" font-size="14" font-weight="bold">Lapis benchmark — throughput relative to bare ws naive (same run, log scale)</text>`);
  parts.push(`<text x="10" y="36" fill="#555">${esc(String(res.meta.when))} · ${esc(String(res.meta.mode))} · server on 1 core, load on the other · bars: median of ${res.meta.rounds} rounds, whiskers: min–max · SignalR: REST-driven only</text>`);
  for (const t of [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20]) {
    const xx = x(t).toFixed(1);
    parts.push(`<line x1="${xx}" y1="${y - 12}" x2="${xx}" y2="${height - 14 - legendRows * 16}" stroke="${t === 1 ? '#000' : t === 3 ? '#c62828' : '#ddd'}" stroke-width="${t === 1 || t === 3 ? 1 : 0.5}"${t === 3 ? ' stroke-dasharray="4 3"' : ''}/>`);
    parts.push(`<text x="${xx}" y="${y - 16}" text-anchor="middle" fill="#555">${t}×</text>`);
  }
  for (const g of groups) {
    parts.push(`<text x="${left - 8}" y="${y + (kinds.length * rowH) / 2 + 3}" text-anchor="end">${esc(g.label)}</text>`);
    for (const b of g.bars) {
      if (Number.isFinite(b.v)) {
        parts.push(`<rect x="${left}" y="${y}" width="${(x(b.v) - left).toFixed(1)}" height="${rowH - 2}" fill="${COLORS[b.kind]}"/>`);
        if (b.lo !== undefined && b.hi !== undefined && Number.isFinite(b.lo) && Number.isFinite(b.hi)) {
          parts.push(`<line x1="${x(b.lo).toFixed(1)}" y1="${y + (rowH - 2) / 2}" x2="${x(b.hi).toFixed(1)}" y2="${y + (rowH - 2) / 2}" stroke="#000" stroke-width="1"/>`);
        }
      }
      parts.push(`<text x="${(Number.isFinite(b.v) ? x(b.v) : left) + 4}" y="${y + rowH - 3}" font-size="8" fill="#333">${esc(b.text)}</text>`);
      y += rowH;
    }
    y += groupGap;
  }
  kinds.forEach((k, i) => {
    const lx = 10 + (i % 4) * 240;
    const ly = height - 8 - (legendRows - Math.floor(i / 4)) * 16;
    parts.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${COLORS[k]}"/><text x="${lx + 14}" y="${ly + 9}">${esc(LABELS[k])}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export { KINDS };
