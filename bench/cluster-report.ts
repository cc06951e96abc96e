/**
 * The cluster benchmark's table and issue 13's targets. Ratios are medians of per-round ratios
 * (the two contestants measured in the same round, minutes apart), with the min–max over rounds;
 * throughput per server CPU-second is shown as well, because on a 2-core machine shared with the
 * load generators (and other users) the raw rate says as much about the machine as the server.
 */
import type { ClusterFlowResult, ClusterLatencyResult, LatencyStats } from './lib/cluster-flow.ts';
import { CLUSTER_LABELS } from './lib/cluster-servers.ts';
import type { ClusterKind } from './lib/cluster-servers.ts';
import { median } from './report.ts';

export interface ClusterResults {
  meta: Record<string, unknown>;
  broadcast: { kind: ClusterKind; round: number; conns: number; size: number; r: ClusterFlowResult }[];
  latency: { kind: ClusterKind; round: number; conns: number; r: ClusterLatencyResult }[];
  sessions: { kind: ClusterKind; round: number; loadAverage: string; setupPerS: number }[];
  notes: string[];
}

export interface ClusterTarget {
  ok: boolean | null;
  text: string;
}

const fmt = (x: number) => (!Number.isFinite(x) ? 'n/a' : x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const spread = (xs: number[], f: (x: number) => string) => (xs.length === 0 ? 'n/a' : `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`);
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

function rates(res: ClusterResults, kind: ClusterKind, size: number): number[] {
  return res.broadcast.filter((b) => b.kind === kind && b.size === size && b.r.errors === 0).map((b) => b.r.rate);
}

/** Per-round ratio a/b of the broadcast rate at one size (rounds where both ran). */
export function roundRatios(res: ClusterResults, a: ClusterKind, b: ClusterKind, size: number): number[] {
  const out: number[] = [];
  const rounds = new Set(res.broadcast.map((x) => x.round));
  for (const round of rounds) {
    const x = res.broadcast.find((c) => c.kind === a && c.size === size && c.round === round && c.r.errors === 0);
    const y = res.broadcast.find((c) => c.kind === b && c.size === size && c.round === round && c.r.errors === 0);
    if (x && y && y.r.rate > 0) out.push(x.r.rate / y.r.rate);
  }
  return out;
}

/**
 * Per-round ratio of what the two nodes would deliver with a core each to what one node delivers
 * with a core: 2 × (cluster deliveries per server CPU-second) / (one node's deliveries per CPU-second).
 * On a machine where every server gets its core this equals the measured ratio; on a shared one it
 * removes how much CPU each contestant happened to get (not the cache and batching effects of contention).
 */
export function capacityRatios(res: ClusterResults, size: number): number[] {
  const out: number[] = [];
  const eff = (b: { r: ClusterFlowResult }) => (b.r.serverCpu > 0 ? b.r.rate / b.r.serverCpu : Number.NaN);
  for (const round of new Set(res.broadcast.map((x) => x.round))) {
    const two = res.broadcast.find((c) => c.kind === 'lapis-2' && c.size === size && c.round === round && c.r.errors === 0);
    const one = res.broadcast.find((c) => c.kind === 'lapis-1' && c.size === size && c.round === round && c.r.errors === 0);
    if (two && one && eff(one) > 0) out.push((two.r.perNodeCpu.length * eff(two)) / eff(one));
  }
  return out.filter(Number.isFinite);
}

function latencyOf(res: ClusterResults, kind: ClusterKind, which: 'cross' | 'same'): LatencyStats[] {
  return res.latency.filter((l) => l.kind === kind).map((l) => l.r[which]).filter((s): s is LatencyStats => s !== null && s.samples > 0);
}

const sizesOf = (res: ClusterResults) => [...new Set(res.broadcast.map((b) => b.size))].sort((a, b) => a - b);
const kindsOf = (res: ClusterResults) => (res.meta.kinds as ClusterKind[]);
const sizeLabel = (size: number) => (size >= 1024 ? `${size / 1024} KB` : `${size} B`);

export function clusterTable(res: ClusterResults): string {
  const kinds = kindsOf(res);
  const conns = Number(res.meta.conns).toLocaleString('en-US');
  const W = 40;
  const row = (label: string, cells: string[]) => `${label.padEnd(46)}${cells.map((c) => c.padEnd(W)).join('')}`;
  const lines: string[] = [];
  lines.push(`Broadcast through node A to ${conns} receivers spread over the processes; median (min–max) of ${String(res.meta.rounds)} rounds`);
  lines.push(row('', kinds.map((k) => CLUSTER_LABELS[k])));
  lines.push('-'.repeat(46 + W * kinds.length));
  for (const size of sizesOf(res)) {
    lines.push(row(`deliveries/s, ${sizeLabel(size)}`, kinds.map((k) => spread(rates(res, k, size), fmt))));
    lines.push(row(`  server CPU (cores), ${sizeLabel(size)}`, kinds.map((k) => spread(res.broadcast.filter((b) => b.kind === k && b.size === size).map((b) => b.r.serverCpu), (x) => x.toFixed(2)))));
    lines.push(row(`  deliveries per server CPU-second, ${sizeLabel(size)}`, kinds.map((k) => spread(res.broadcast.filter((b) => b.kind === k && b.size === size && b.r.serverCpu > 0).map((b) => b.r.rate / b.r.serverCpu), fmt))));
    lines.push(row(`  frames per read at receivers (A + B), ${sizeLabel(size)}`, kinds.map((k) => {
      const xs = res.broadcast.filter((b) => b.kind === k && b.size === size && b.r.framesPerRead);
      return xs.length === 0 ? 'n/a' : xs[0]!.r.framesPerRead.map((_, i) => median(xs.map((b) => b.r.framesPerRead[i]!)).toFixed(2)).join(' + ');
    })));
    lines.push(row(`  Redis CPU (cores), ${sizeLabel(size)}`, kinds.map((k) => spread(res.broadcast.filter((b) => b.kind === k && b.size === size && b.r.redisCpu !== null).map((b) => b.r.redisCpu!), (x) => x.toFixed(2)))));
  }
  lines.push(row('load average (1 min) at session start', kinds.map((k) => spread(res.sessions.filter((x) => x.kind === k).map((x) => Number(x.loadAverage.split(',')[0])), (x) => x.toFixed(1)))));
  lines.push(row('connection setup/s (incl. token check)', kinds.map((k) => spread(res.sessions.filter((s) => s.kind === k).map((s) => s.setupPerS), fmt))));
  if (res.latency.length > 0) {
    const lat = (k: ClusterKind, which: 'cross' | 'same') => {
      const s = latencyOf(res, k, which);
      return s.length === 0 ? 'n/a' : `${ms(median(s.map((x) => x.p50Ms)))} / ${ms(median(s.map((x) => x.p99Ms)))} ms (worst p99 ${ms(Math.max(...s.map((x) => x.p99Ms)))})`;
    };
    lines.push(row('latency p50 / p99, cross-node (A → B)', kinds.map((k) => lat(k, 'cross'))));
    lines.push(row('latency p50 / p99, same node', kinds.map((k) => lat(k, 'same'))));
    const wait = (k: ClusterKind, which: 'serverRunQueue' | 'receiverRunQueue' | 'redisRunQueue') => {
      const xs = res.latency.filter((l) => l.kind === k).map((l) => l.r[which]).filter((x) => x != null);
      return xs.length === 0 ? 'n/a' : `${median(xs.map((x) => x.waitMsPerS)).toFixed(0)} ms/s, ${median(xs.map((x) => x.meanWaitMs)).toFixed(2)} ms each`;
    };
    lines.push(row('  run-queue wait, servers (latency run)', kinds.map((k) => wait(k, 'serverRunQueue'))));
    lines.push(row('  run-queue wait, receivers (latency run)', kinds.map((k) => wait(k, 'receiverRunQueue'))));
    lines.push(row('  run-queue wait, Redis (latency run)', kinds.map((k) => wait(k, 'redisRunQueue'))));
  }
  lines.push('');
  for (const size of sizesOf(res)) {
    lines.push(`ratio Lapis 2 nodes / 1 node, ${sizeLabel(size)}: ${spread(roundRatios(res, 'lapis-2', 'lapis-1', size), (x) => `${x.toFixed(2)}×`)}`);
    lines.push(`ratio Lapis 2 nodes / Socket.IO 2 processes, ${sizeLabel(size)}: ${spread(roundRatios(res, 'lapis-2', 'socketio-2', size), (x) => `${x.toFixed(2)}×`)}`);
  }
  for (const size of sizesOf(res)) {
    lines.push(`capacity ratio Lapis 2 nodes / 1 node, ${sizeLabel(size)} (deliveries per server CPU-second × server processes, i.e. each node with a core to itself): ${spread(capacityRatios(res, size), (x) => `${x.toFixed(2)}×`)}`);
  }
  lines.push('latency: one publisher per group of 10 on node A, 2 KB at 1 msg/s each; "cross-node" = receivers on node B (one-node contestant: all same node)');
  return lines.join('\n');
}

export function clusterTargets(res: ClusterResults): ClusterTarget[] {
  const out: ClusterTarget[] = [];
  const conns = Number(res.meta.conns);
  for (const size of sizesOf(res)) {
    const one = roundRatios(res, 'lapis-2', 'lapis-1', size);
    const cap = capacityRatios(res, size);
    const capText = cap.length ? `; capacity ratio ${median(cap).toFixed(2)}× (rounds ${cap.map((x) => x.toFixed(2)).join(', ')})` : '';
    out.push({ ok: one.length ? median(one) >= 1.6 : null, text: `cluster broadcast ≥ 1.6× one node (${sizeLabel(size)}, ${conns} conns): ${one.length ? `${median(one).toFixed(2)}× (rounds ${one.map((x) => x.toFixed(2)).join(', ')})${capText}` : 'not measured'}` });
    const sio = roundRatios(res, 'lapis-2', 'socketio-2', size);
    out.push({ ok: sio.length ? median(sio) >= 3 : null, text: `cluster broadcast ≥ 3× the Socket.IO cluster (${sizeLabel(size)}, ${conns} conns): ${sio.length ? `${median(sio).toFixed(2)}× (rounds ${sio.map((x) => x.toFixed(2)).join(', ')})` : 'not measured'}` });
  }
  const cross = latencyOf(res, 'lapis-2', 'cross');
  if (cross.length === 0) {
    out.push({ ok: null, text: 'cross-node p99 < 10 ms at 10,000 connections: not measured' });
  } else {
    const worst = Math.max(...cross.map((x) => x.p99Ms));
    const text = `cross-node publish → receive p99 < 10 ms at 10,000 connections: worst round ${ms(worst)} ms (rounds ${cross.map((x) => ms(x.p99Ms)).join(', ')}) at ${conns} connections`;
    out.push({ ok: conns >= 10_000 ? worst < 10 : null, text: conns >= 10_000 ? text : `${text} (fewer than 10,000: not the target's size)` });
  }
  return out;
}
