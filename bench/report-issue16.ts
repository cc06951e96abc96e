/**
 * Issue 16's target lines, each a ratio to a baseline measured in the same run on the same core:
 * REST per-request path vs a bare node:http server, connection setup vs bare ws (with the cost of
 * Lapis's HS256 client-token check measured alone), the token endpoint vs the raw RS256 signing
 * rate, upstream round trips vs a bare HTTP client, reliable JSON broadcast vs plain JSON
 * broadcast, and the run's own duration.
 */
import type { Kind } from './lib/contestants.ts';
import { BASELINE, cellLabel, median, ratioOf } from './report.ts';
import type { Results, TargetLine } from './report.ts';

const L: Kind = 'lapis-json';
const R: Kind = 'lapis-reliable';
export const REST_TARGET = 0.7;
export const SETUP_TARGET = 0.8;
export const TOKEN_TARGET = 0.8;
/**
 * Lapis carries each event over two legs (the client's WebSocket frame in and its ack out, plus the
 * HTTP request), the bare client over one: 0.5× is parity per leg.
 */
export const UPSTREAM_TARGET = 0.5;
/** Azure Web PubSub's published event-handler bar, per unit. */
export const UPSTREAM_AZURE_PER_UNIT = 500;
export const RELIABLE_TARGET = 0.8;

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const fmtRate = (x: number): string => (!Number.isFinite(x) ? 'n/a' : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));

/** Median over rounds of per-round ratios a[r] / b[r]. */
function roundRatio(a: (number | undefined)[] | undefined, b: (number | undefined)[] | undefined): number {
  const per: number[] = [];
  for (let r = 0; r < (a?.length ?? 0); r++) {
    const x = a?.[r];
    const y = b?.[r];
    if (x !== undefined && y !== undefined && y > 0) per.push(x / y);
  }
  return median(per);
}

export function issue16Targets(res: Results): TargetLine[] {
  const out: TargetLine[] = [];
  // REST per-request path: the ws-naive peer's POST /user/<u>, /conn/<tag> is a bare node:http server doing the same delivery.
  for (const wl of ['unicast-user', 'unicast-conn'] as const) {
    const c = res.cells.find((x) => x.workload === wl);
    const r = c ? ratioOf(c, L) : undefined;
    const base = c ? ratioOf(c, BASELINE) : undefined;
    out.push({
      ok: r && Number.isFinite(r.median) ? r.median >= REST_TARGET : null,
      text: `REST per-request path (${wl}) ≥ ${REST_TARGET}× a bare node:http server doing the same delivery: ` +
        (r && c ? `${fmtRate(r.value)}/s vs ${fmtRate(base?.value ?? Number.NaN)}/s = ${f(r.median)}× (rounds ${f(r.min)}–${f(r.max)}; ${cellLabel(c)})` : 'not measured'),
    });
  }
  // Connection setup, with the client-token check measured alone on the server core.
  const setupRatio = roundRatio(res.setup[L], res.setup[BASELINE]);
  const S = median(res.setup[L] ?? []);
  const B = median(res.setup[BASELINE] ?? []);
  const V = res.crypto?.hs256Verify ?? Number.NaN;
  const share = S / V;
  const without = 1 / (1 / S - 1 / V);
  out.push({
    ok: Number.isFinite(setupRatio) ? setupRatio >= SETUP_TARGET : null,
    text: `Connection setup ≥ ${SETUP_TARGET}× bare ws (token check included): ${fmtRate(S)}/s vs ${fmtRate(B)}/s = ${f(setupRatio)}× at ${res.meta.memoryConns} conns` +
      (Number.isFinite(V) ? `; the HS256 client-token check alone runs ${fmtRate(V)}/s on the server core (${f(1e6 / V, 0)} µs each = ${f(share * 100, 0)}% of Lapis's per-connection time; without it ≈ ${fmtRate(without)}/s = ${f(without / B)}×)` : '; HS256 check rate not measured'),
  });
  // Token endpoint vs raw RS256 signing on the same core.
  const idRates = (res.identity ?? []).filter((x) => x.available).map((x) => x.rate!);
  const tok = median(idRates);
  const sign = res.crypto?.rs256Sign ?? Number.NaN;
  out.push({
    ok: Number.isFinite(tok) && Number.isFinite(sign) ? tok / sign >= TOKEN_TARGET : null,
    text: `Token endpoint ≥ ${TOKEN_TARGET}× the raw RS256 signing rate of the core: ${fmtRate(tok)} tokens/s vs crypto.sign RSA-2048 ${fmtRate(sign)}/s = ${f(tok / sign)}×${tokenPerCpu(res)}`,
  });
  // Upstream event handlers.
  const up = res.upstream;
  if (!up || up.rounds.length === 0) {
    out.push({ ok: null, text: `Upstream round trips ≥ ${UPSTREAM_TARGET}× a bare HTTP client driving the same handler: not measured` });
  } else {
    const per = up.rounds.map((r) => r.lapis / r.bare);
    const ratio = median(per);
    const lapis = median(up.rounds.map((r) => r.lapis));
    const bare = median(up.rounds.map((r) => r.bare));
    out.push({
      ok: ratio >= UPSTREAM_TARGET,
      text: `Upstream round trips (connect + ${up.messages} messages + disconnected per connection, ${up.lanes} lanes) ≥ ${UPSTREAM_TARGET}× a bare fetch (undici) client driving the same handler: ${fmtRate(lapis)}/s vs ${fmtRate(bare)}/s = ${f(ratio)}× (rounds ${f(Math.min(...per))}–${f(Math.max(...per))})`,
    });
    out.push({ ok: lapis >= UPSTREAM_AZURE_PER_UNIT, text: `Upstream round trips ≥ ${UPSTREAM_AZURE_PER_UNIT}/s (Azure's bar per unit) on one core: ${fmtRate(lapis)}/s` });
  }
  // Reliable JSON fan-out vs plain JSON, per broadcast cell (ratios of same-round ratios to the baseline).
  const bcast = res.cells.filter((c) => c.workload === 'rest-broadcast' || c.workload === 'group-broadcast');
  const items = bcast.map((c) => {
    const mine = ratioOf(c, R);
    const plain = ratioOf(c, L);
    return { c, r: mine && plain ? mine.median / plain.median : Number.NaN };
  }).filter((x) => Number.isFinite(x.r));
  if (items.length === 0) out.push({ ok: null, text: `Reliable JSON broadcast ≥ ${RELIABLE_TARGET}× plain JSON broadcast: not measured` });
  else {
    const worst = items.reduce((a, b) => (b.r < a.r ? b : a));
    const failing = items.filter((x) => x.r < RELIABLE_TARGET);
    out.push({
      ok: failing.length === 0,
      text: `Reliable JSON broadcast ≥ ${RELIABLE_TARGET}× plain JSON broadcast: worst ${f(worst.r)}× (${cellLabel(worst.c)})${failing.length ? `; ${failing.length}/${items.length} cells below` : `; all ${items.length} cells`}` +
        `; ${items.map((x) => `${x.c.workload} ${x.c.conns}/${x.c.size} B ${f(x.r)}×`).join(', ')}`,
    });
  }
  // The run itself.
  const secs = Number(res.meta.durationS);
  const quick = res.meta.mode === 'quick';
  const limit = quick ? 120 : 900;
  const complete = !res.meta.partial;
  out.push({
    ok: complete && Number.isFinite(secs) ? secs < limit : null,
    text: `${quick ? 'Quick' : 'Full'} run under ${limit / 60} minutes: ${Number.isFinite(secs) ? `${Math.floor(secs / 60)} min ${secs % 60} s` : 'n/a'}${complete ? '' : ' (partial run: --kinds/--only/--no-*; informational)'}`,
  });
  return out;
}

/** Rows of the table for issue 16's extra measurements. */
export function issue16Rows(res: Results): string[] {
  const lines: string[] = [];
  const c = res.crypto;
  lines.push(`HS256 client-token check alone (Lapis's verifyClientToken, server core): ${c?.hs256Verify ? `${fmtRate(c.hs256Verify)}/s` : 'not measured'}`);
  lines.push(`RS256 signing alone (crypto.sign RSA-2048, server core): ${c?.rs256Sign ? `${fmtRate(c.rs256Sign)}/s` : 'not measured'}`);
  const up = res.upstream;
  if (up && up.rounds.length > 0) {
    const r = up.rounds;
    lines.push(`upstream round trips/s (connect + ${up.messages} messages + disconnected, ${up.lanes} lanes): Lapis ${fmtRate(median(r.map((x) => x.lapis)))}/s (server ${f(median(r.map((x) => x.lapisServerCpu)) * 100, 0)}%), bare fetch client ${fmtRate(median(r.map((x) => x.bare)))}/s`);
  } else lines.push('upstream round trips/s: not run');
  return lines;
}

/**
 * The token row per CPU-second (server CPU over each round, all threads; the signing loop's own
 * CPU), and how busy the server core was: on a loaded machine this says whether the wall-clock
 * ratio measured Lapis or the scheduler.
 */
function tokenPerCpu(res: Results): string {
  const rounds = (res.identity ?? []).filter((x) => x.available && x.serverCpu !== undefined && x.serverCpu > 0.05);
  const signPerCpu = res.crypto?.rs256SignPerCpuSecond;
  if (rounds.length === 0 || !signPerCpu) return '';
  const perCpu = median(rounds.map((x) => x.rate! / x.serverCpu!));
  const busy = median(rounds.map((x) => x.serverCpu!));
  return ` (per CPU-second: ${fmtRate(perCpu)} tokens vs ${fmtRate(signPerCpu)} signatures = ${f(perCpu / signPerCpu)}×; server at ${f(busy * 100, 0)}% of its core)`;
}
