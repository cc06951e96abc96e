/**
 * The default-mode row in the report: both contestants' figures (medians over rounds) and issue
 * 12's two targets as ratios of per-round figures (both contestants measured in the same round,
 * so drift between rounds cancels out): echo p50 through Lapis ≤ 2× self-hosted, broadcast
 * deliveries/s through Lapis ≥ 1× Kestrel's. Reported, never asserted.
 */
import type { DefaultModeResults, DefaultModeRound } from './default-mode.ts';
import { median } from './report.ts';
import type { TargetLine } from './report.ts';

interface PerRound {
  self?: DefaultModeRound;
  lapis?: DefaultModeRound;
}

function byRound(res: DefaultModeResults): PerRound[] {
  const out: PerRound[] = [];
  for (const r of res.rounds) {
    const slot = (out[r.round] ??= {});
    if (r.contestant === 'self-hosted') slot.self = r;
    else slot.lapis = r;
  }
  return out;
}

interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(xs: number[]): Spread | undefined {
  if (xs.length === 0) return undefined;
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** Per-round ratios lapis / self-hosted of one figure. */
function ratios(res: DefaultModeResults, pick: (r: DefaultModeRound) => number | undefined): Spread | undefined {
  const per: number[] = [];
  for (const { self, lapis } of byRound(res)) {
    const a = lapis ? pick(lapis) : undefined;
    const b = self ? pick(self) : undefined;
    if (a !== undefined && b !== undefined && b > 0) per.push(a / b);
  }
  return spread(per);
}

function figures(res: DefaultModeResults, who: DefaultModeRound['contestant'], pick: (r: DefaultModeRound) => number | undefined): Spread | undefined {
  return spread(res.rounds.filter((r) => r.contestant === who).map(pick).filter((x): x is number => x !== undefined));
}

const ms = (s: Spread | undefined) => (s ? `${s.median.toFixed(2)} ms` : 'n/a');
const us = (s: Spread | undefined) => (s ? `${s.median.toFixed(0)} µs` : 'n/a');
const rate = (s: Spread | undefined) => (s ? `${Math.round(s.median).toLocaleString('en-US')}/s` : 'n/a');
const cpu = (s: Spread | undefined) => (s ? `${(s.median * 100).toFixed(0)}%` : 'n/a');
const ratio = (s: Spread | undefined) => (s ? `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : 'n/a');

const p50 = (r: DefaultModeRound) => r.echo?.p50Ms;
const deliveries = (r: DefaultModeRound) => r.broadcast?.rate;

/** The row's table (medians over rounds; ratios are medians of per-round ratios, min–max in brackets). */
export function defaultModeTable(res: DefaultModeResults): string {
  if (res.skipped) return `SignalR default mode: not measured (${res.skipped})`;
  const p = res.meta.params as { receivers: number; senders: number; size: number; echoClients: number; echoCalls: number; rounds: number };
  const rows: [string, string, string, string][] = [
    ['', 'self-hosted (Kestrel)', 'through Lapis', 'Lapis / self-hosted'],
    ['echo p50', ms(figures(res, 'self-hosted', p50)), ms(figures(res, 'lapis', p50)), ratio(ratios(res, p50))],
    ['echo p90', ms(figures(res, 'self-hosted', (r) => r.echo?.p90Ms)), ms(figures(res, 'lapis', (r) => r.echo?.p90Ms)), ratio(ratios(res, (r) => r.echo?.p90Ms))],
    ['echo p99', ms(figures(res, 'self-hosted', (r) => r.echo?.p99Ms)), ms(figures(res, 'lapis', (r) => r.echo?.p99Ms)), ratio(ratios(res, (r) => r.echo?.p99Ms))],
    ['  CPU per echo: service', us(figures(res, 'self-hosted', (r) => r.echo?.serviceCpuUsPerCall)), us(figures(res, 'lapis', (r) => r.echo?.serviceCpuUsPerCall)), ''],
    ['  CPU per echo: app server', '(the same process)', us(figures(res, 'lapis', (r) => r.echo?.appCpuUsPerCall)), ''],
    ['  run-queue wait per echo: service', us(figures(res, 'self-hosted', (r) => r.echo?.serviceWaitUsPerCall)), us(figures(res, 'lapis', (r) => r.echo?.serviceWaitUsPerCall)), ''],
    ['  run-queue wait per echo: app server', '(the same process)', us(figures(res, 'lapis', (r) => r.echo?.appWaitUsPerCall)), ''],
    [`broadcast to ${p.receivers.toLocaleString('en-US')}`, rate(figures(res, 'self-hosted', deliveries)), rate(figures(res, 'lapis', deliveries)), ratio(ratios(res, deliveries))],
    ['  service CPU (core)', cpu(figures(res, 'self-hosted', (r) => r.broadcast?.serviceCpu)), cpu(figures(res, 'lapis', (r) => r.broadcast?.serviceCpu)), ''],
    ['  app server CPU', '(the same process)', cpu(figures(res, 'lapis', (r) => r.broadcast?.appCpu)), ''],
    ['  per service CPU-second', rate(figures(res, 'self-hosted', (r) => perCpu(r))), rate(figures(res, 'lapis', (r) => perCpu(r))), ratio(ratios(res, perCpu))],
    ['  per CPU-second of service + app', rate(figures(res, 'self-hosted', perAllCpu)), rate(figures(res, 'lapis', perAllCpu)), ratio(ratios(res, perAllCpu))],
  ];
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const head = `SignalR default mode: the interop app's ChatHub, ${p.size} B strings, JSON over WebSockets; echo = ${p.echoClients} @microsoft/signalr clients × ${p.echoCalls} sequential calls; ` +
    `broadcast = Clients.All to ${p.receivers} receivers (${p.senders} senders invoking Broadcast); ${p.rounds} alternating rounds (load ${String(res.meta.loadBefore)} → ${String(res.meta.loadAfter ?? '?')})`;
  return [head, ...rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd())].join('\n');
}

function perCpu(r: DefaultModeRound): number | undefined {
  return r.broadcast ? r.broadcast.rate / Math.max(r.broadcast.serviceCpu, 0.05) : undefined;
}

/** Deliveries per CPU-second of everything on the server side (in Lapis mode the app server's CPU too). */
function perAllCpu(r: DefaultModeRound): number | undefined {
  return r.broadcast ? r.broadcast.rate / Math.max(r.broadcast.serviceCpu + (r.broadcast.appCpu ?? 0), 0.05) : undefined;
}

/** Issue 12's two targets. */
export function defaultModeTargets(res: DefaultModeResults): TargetLine[] {
  if (res.skipped) return [{ ok: null, text: `SignalR default mode: not measured (${res.skipped})` }];
  const e = ratios(res, p50);
  const b = ratios(res, deliveries);
  return [
    { ok: e ? e.median <= 2 : null, text: `default-mode echo p50 through Lapis ≤ 2× self-hosted: ${e ? ratio(e) : 'not measured'}` },
    { ok: b ? b.median >= 1 : null, text: `default-mode broadcast through Lapis ≥ 1× Kestrel: ${b ? ratio(b) : 'not measured'}` },
  ];
}

/** The row's ratios (Lapis ÷ self-hosted, per round) for the chart: echo p50/p90/p99 (lower is better), broadcast deliveries, and deliveries per CPU-second. */
export function defaultModeChartRatios(res: DefaultModeResults): { echoP50?: Spread; echoP90?: Spread; echoP99?: Spread; broadcast?: Spread; perServiceCpu?: Spread; perAllCpu?: Spread } {
  return {
    echoP50: ratios(res, p50),
    echoP90: ratios(res, (r) => r.echo?.p90Ms),
    echoP99: ratios(res, (r) => r.echo?.p99Ms),
    broadcast: ratios(res, deliveries),
    perServiceCpu: ratios(res, perCpu),
    perAllCpu: ratios(res, perAllCpu),
  };
}

/** The row's figures that have no ratio (CPU and run-queue wait per echo, CPU during the broadcast), as the chart's text lines. */
export function defaultModeChartText(res: DefaultModeResults): string[] {
  if (res.skipped) return [`SignalR default mode: not measured (${res.skipped})`];
  const both = (label: string, f: (s: Spread | undefined) => string, pick: (r: DefaultModeRound) => number | undefined, appPick?: (r: DefaultModeRound) => number | undefined) =>
    `${label}: self-hosted ${f(figures(res, 'self-hosted', pick))}; through Lapis: service ${f(figures(res, 'lapis', pick))}${appPick ? `, app server ${f(figures(res, 'lapis', appPick))}` : ''}`;
  return [
    both('default mode, CPU per echo', us, (r) => r.echo?.serviceCpuUsPerCall, (r) => r.echo?.appCpuUsPerCall),
    both('default mode, run-queue wait per echo', us, (r) => r.echo?.serviceWaitUsPerCall, (r) => r.echo?.appWaitUsPerCall),
    both('default mode, CPU during the broadcast', cpu, (r) => r.broadcast?.serviceCpu, (r) => r.broadcast?.appCpu),
  ];
}
