/**
 * The SVG chart of `npm run bench`: every row of the table. Horizontal grouped bars of each row's
 * ratio to its same-run baseline (log scale): the throughput cells, idle memory, connection setup,
 * latency p50 and p99, issue 16's token-endpoint and upstream ratios, and the SignalR default-mode
 * ratios; below them, as text, the rows that have no same-run ratio (identity and RBAC rates, the
 * crypto baselines, the upstream rates, the default mode's CPU and wait per echo).
 */
import { LABELS } from './lib/contestants.ts';
import type { Kind } from './lib/contestants.ts';
import { BASELINE, cellLabel, fmtRate, median, ratioOf } from './report.ts';
import type { Results } from './report.ts';
import type { DefaultModeResults } from './default-mode.ts';
import { defaultModeChartRatios, defaultModeChartText } from './report-default-mode.ts';

const COLORS: Record<Kind, string> = {
  'ws-naive': '#9e9e9e',
  'ws-cork': '#424242',
  socketio: '#e6a700',
  'lapis-simple': '#64b5f6',
  'lapis-json': '#1565c0',
  'lapis-protobuf': '#00838f',
  'lapis-reliable': '#26a69a',
  'signalr-json': '#2e7d32',
  'signalr-msgpack': '#81c784',
  'signalr-sse': '#6a1b9a',
};

type BarGroup = { label: string; bars: { kind: Kind; v: number; lo?: number; hi?: number; text: string }[] };

/** The chart's rows beyond the throughput cells and memory: setup, latency, and issue 16's same-run ratios. */
function extraGroups(res: Results, kinds: readonly Kind[], dm: DefaultModeResults | undefined): BarGroup[] {
  const groups: BarGroup[] = [];
  const setupBase = median(res.setup[BASELINE] ?? []);
  groups.push({
    label: 'connection setup/s vs ws (incl. token check)',
    bars: kinds.map((k) => {
      const m = median(res.setup[k] ?? []);
      return { kind: k, v: m / setupBase, text: Number.isFinite(m) ? `${(m / setupBase).toFixed(2)}×  ${fmtRate(m)}/s` : 'n/a' };
    }),
  });
  for (const q of ['p50Ms', 'p99Ms'] as const) {
    const latBase = res.latency[BASELINE]?.[q] ?? Number.NaN;
    groups.push({
      label: `latency ${q.slice(0, 3)} vs ws (lower is better)`,
      bars: kinds.filter((k) => res.latency[k]).map((k) => {
        const p = res.latency[k]![q];
        return { kind: k, v: p / latBase, text: `${(p / latBase).toFixed(2)}×  ${p.toFixed(q === 'p50Ms' ? 2 : 1)} ms` };
      }),
    });
  }
  const tok = median((res.identity ?? []).filter((x) => x.available).map((x) => x.rate!));
  const sign = res.crypto?.rs256Sign ?? Number.NaN;
  groups.push({ label: 'token endpoint vs raw RS256 signing', bars: [{ kind: 'lapis-json', v: tok / sign, text: Number.isFinite(tok / sign) ? `${(tok / sign).toFixed(2)}×  ${fmtRate(tok)}/s vs ${fmtRate(sign)}/s` : 'n/a' }] });
  const up = res.upstream?.rounds ?? [];
  const upR = median(up.map((r) => r.lapis / r.bare));
  groups.push({ label: 'upstream round trips vs bare HTTP client', bars: [{ kind: 'lapis-json', v: upR, lo: up.length ? Math.min(...up.map((r) => r.lapis / r.bare)) : undefined, hi: up.length ? Math.max(...up.map((r) => r.lapis / r.bare)) : undefined, text: Number.isFinite(upR) ? `${upR.toFixed(2)}×  ${fmtRate(median(up.map((r) => r.lapis)))}/s` : 'n/a' }] });
  if (dm && !dm.skipped) {
    const d = defaultModeChartRatios(dm);
    const bar = (s: { median: number; min: number; max: number } | undefined) => ({ kind: 'signalr-json' as Kind, v: s?.median ?? Number.NaN, lo: s?.min, hi: s?.max, text: s ? `${s.median.toFixed(2)}×` : 'n/a' });
    groups.push({ label: 'default mode: echo p50 vs self-hosted (lower better)', bars: [bar(d.echoP50)] });
    groups.push({ label: 'default mode: echo p90 vs self-hosted (lower better)', bars: [bar(d.echoP90)] });
    groups.push({ label: 'default mode: echo p99 vs self-hosted (lower better)', bars: [bar(d.echoP99)] });
    groups.push({ label: 'default mode: broadcast vs self-hosted', bars: [bar(d.broadcast)] });
    groups.push({ label: 'default mode: broadcast per service CPU-second', bars: [bar(d.perServiceCpu)] });
    groups.push({ label: 'default mode: per CPU-s of service + app server', bars: [bar(d.perAllCpu)] });
  }
  return groups.filter((g) => g.bars.length > 0);
}

/** The rows without a same-run ratio, as lines of text under the bars. */
function textRows(res: Results, dm: DefaultModeResults | undefined): string[] {
  const lines: string[] = [];
  const id = (res.identity ?? []).filter((x) => x.available).map((x) => x.rate!);
  lines.push(`identity token endpoint (client_credentials, HTTPS): ${id.length ? `${fmtRate(median(id))} requests/s` : `not available: ${res.identity?.[0]?.note ?? 'not run'}`}`);
  lines.push(`RBAC-checked REST calls (Entra bearer token, sendToAll): ${res.rbac?.available ? `${fmtRate(res.rbac.rate!)} requests/s` : (res.rbac?.note ?? 'not run')}`);
  lines.push(`HS256 client-token check alone (server core): ${fmtRate(res.crypto?.hs256Verify ?? Number.NaN)}/s;  RS256 signing alone (server core): ${fmtRate(res.crypto?.rs256Sign ?? Number.NaN)}/s`);
  const up = res.upstream?.rounds ?? [];
  if (up.length) lines.push(`upstream round trips: Lapis ${fmtRate(median(up.map((r) => r.lapis)))}/s (server ${(median(up.map((r) => r.lapisServerCpu)) * 100).toFixed(0)}%), bare fetch client ${fmtRate(median(up.map((r) => r.bare)))}/s`);
  if (dm) lines.push(...defaultModeChartText(dm));
  return lines;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal grouped bars of the ratios (log scale), one group per workload, plus idle memory. */
export function svg(res: Results, kinds: readonly Kind[], dm?: DefaultModeResults): string {
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
  groups.push(...extraGroups(res, kinds, dm));
  const notes = textRows(res, dm);
  const noteH = 13;
  const legendRows = Math.ceil(kinds.length / 4);
  const height = y + groups.reduce((a, g) => a + g.bars.length * rowH + groupGap, 0) + notes.length * noteH + 24 + legendRows * 16;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="10">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="10" y="20" font-size="14" font-weight="bold">Lapis benchmark — throughput relative to bare ws naive (same run, log scale)</text>`);
  parts.push(`<text x="10" y="36" fill="#555">${esc(String(res.meta.when))} · ${esc(String(res.meta.mode))} · server on 1 core, load on the other · bars: median of ${res.meta.rounds} rounds, whiskers: min–max · SignalR: REST-driven only</text>`);
  for (const t of [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20]) {
    const xx = x(t).toFixed(1);
    parts.push(`<line x1="${xx}" y1="${y - 12}" x2="${xx}" y2="${height - 14 - legendRows * 16 - notes.length * noteH}" stroke="${t === 1 ? '#000' : t === 3 ? '#c62828' : '#ddd'}" stroke-width="${t === 1 || t === 3 ? 1 : 0.5}"${t === 3 ? ' stroke-dasharray="4 3"' : ''}/>`);
    parts.push(`<text x="${xx}" y="${y - 16}" text-anchor="middle" fill="#555">${t}×</text>`);
  }
  for (const g of groups) {
    parts.push(`<text x="${left - 8}" y="${y + (g.bars.length * rowH) / 2 + 3}" text-anchor="end">${esc(g.label)}</text>`);
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
  for (const line of notes) {
    y += noteH;
    parts.push(`<text x="10" y="${y - 3}" fill="#333">${esc(line)}</text>`);
  }
  kinds.forEach((k, i) => {
    const lx = 10 + (i % 4) * 240;
    const ly = height - 8 - (legendRows - Math.floor(i / 4)) * 16;
    parts.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${COLORS[k]}"/><text x="${lx + 14}" y="${ly + 9}">${esc(LABELS[k])}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

