/**
 * Issue 11's lines in the targets list: the SignalR contestants against Lapis's own Web PubSub
 * JSON contestant, round by round (both measured in the same round, so drift cancels out).
 */
import type { Kind } from './lib/contestants.ts';
import { median } from './report.ts';
import type { CellResult, Ratio, Results, TargetLine } from './report.ts';
import type { FlowResult } from './workloads.ts';

/**
 * Median over rounds of `kind`'s rate divided by `ref`'s rate in the same round (both measured in
 * that round); with `perCpu`, of deliveries per second of server CPU instead, which moves far less
 * when other processes take turns on the server's core.
 */
export function sameRoundRatio(cell: CellResult, kind: Kind, ref: Kind, perCpu = false): Ratio | undefined {
  const m = (f: FlowResult) => (perCpu ? f.rate / Math.max(f.serverCpu, 0.05) : f.rate);
  const a = cell.rounds[kind] ?? [];
  const b = cell.rounds[ref] ?? [];
  const per: number[] = [];
  for (let r = 0; r < a.length; r++) {
    const x = a[r];
    const y = b[r];
    if (x && y && y.rate > 0) per.push(m(x) / m(y));
  }
  if (per.length === 0) return undefined;
  return { median: median(per), min: Math.min(...per), max: Math.max(...per), value: median(per) };
}

/**
 * Issue 11: SignalR JSON broadcast ≥ 0.85× Lapis's own Web PubSub JSON broadcast (REST send to
 * all, the same core doing the same work), per cell and round; the other SignalR rows are reported
 * against the same reference without a target.
 */
export function signalrTargets(res: Results): TargetLine[] {
  const out: TargetLine[] = [];
  const ref: Kind = 'lapis-json';
  const rows: [Kind, CellResult['workload'], number | null][] = [
    ['signalr-json', 'rest-broadcast', 0.85],
    ['signalr-msgpack', 'rest-broadcast', null],
    ['signalr-sse', 'rest-broadcast', null],
    ['signalr-json', 'rest-group', null],
    ['signalr-msgpack', 'rest-group', null],
    ['signalr-sse', 'rest-group', null],
  ];
  for (const [kind, wl, need] of rows) {
    const items = res.cells.filter((c) => c.workload === wl)
      .map((c) => ({ c, r: sameRoundRatio(c, kind, ref) }))
      .filter((x): x is { c: CellResult; r: Ratio } => !!x.r);
    const what = `${kind} ${wl === 'rest-broadcast' ? 'broadcast' : 'group send'} vs lapis-json (same rounds)`;
    if (items.length === 0) {
      if (need !== null) out.push({ ok: null, text: `${what} ≥ ${need}×: not measured` });
      continue;
    }
    const cells = items.map((x) => {
      const e = sameRoundRatio(x.c, kind, ref, true)!;
      return `${x.r.median.toFixed(2)}× (${x.r.min.toFixed(2)}–${x.r.max.toFixed(2)}) ${x.c.conns.toLocaleString('en-US')}×${x.c.size} B [per server CPU-s ${e.median.toFixed(2)}×]`;
    }).join('; ');
    if (need === null) {
      out.push({ ok: null, text: `${what}, informational: ${cells}` });
      continue;
    }
    const failing = items.filter((x) => x.r.median < need);
    out.push({ ok: failing.length === 0, text: `${what} ≥ ${need}×: ${cells}${failing.length ? `; ${failing.length}/${items.length} cells below` : ''}` });
  }
  return out;
}
