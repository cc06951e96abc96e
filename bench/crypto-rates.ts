/**
 * The crypto baselines of issue 16, run as a child pinned to the server core (same run, same core
 * as the contestants, while none of them runs):
 *   node bench/crypto-rates.ts hs256 <ms>   Lapis's own client-token check (`verifyClientToken`:
 *                                           HS256 verify + time claims + aud rule) on
 *                                           Lapis-shaped client tokens, per second
 *   node bench/crypto-rates.ts rs256 <ms>   `crypto.sign('sha256', …)` with an RSA-2048 key over a
 *                                           token-sized input (what an RS256 JWT signature costs), per second
 *   node bench/crypto-rates.ts both <ms>    the two, one after the other, in one process (what the
 *                                           benchmark runs: one process start instead of two)
 * Prints one JSON line `{"rate":n,"ops":n,"secs":s,"cpuS":s}` (cpuS: CPU time of the measured loop;
 * `both`: `{"hs256":{…},"rs256":{…}}`).
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { verifyClientToken } from '../src/dataplane/webpubsub/client-token.ts';
import { lapisClientToken, LAPIS_HUB } from './lib/contestants.ts';
import { BENCH_KEYS } from './lib/servers.ts';

const mode = process.argv[2];
const ms = Number(process.argv[3] ?? 1000);

/** CPU seconds this process spent since `from` (the measured loop runs on the main thread alone). */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
};

async function hs256(): Promise<{ ops: number; secs: number; cpuS: number }> {
  const ep = { kind: 'lapis-json' as const, port: 1, key: BENCH_KEYS.primaryKey, origin: 'http://127.0.0.1:1' };
  // Distinct tokens (as distinct receivers present), shaped like the benchmark's receivers'.
  const tokens = Array.from({ length: 512 }, (_, i) => lapisClientToken(ep, `u${i}`, ['all', `s${i >> 4}`], ['webpubsub.joinLeaveGroup']));
  // The keys Lapis tries, in its order: the access keys, then the resource's internal key
  // (`:generateToken`); a receiver's token is signed with the primary key.
  const keys = [BENCH_KEYS.primaryKey, BENCH_KEYS.secondaryKey, randomBytes(32).toString('base64url')];
  const path = `/client/hubs/${LAPIS_HUB}?access_token=`;
  const run = async (until: number): Promise<number> => {
    let ops = 0;
    while (performance.now() < until) {
      for (let k = 0; k < 64; k++) {
        const t = tokens[(ops + k) & 511]!;
        await verifyClientToken(t, LAPIS_HUB, path + t, keys);
      }
      ops += 64;
    }
    return ops;
  };
  await run(performance.now() + Math.min(300, ms / 3)); // warm up (JIT)
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ops = await run(t0 + ms);
  return { ops, secs: (performance.now() - t0) / 1000, cpuS: cpuSince(c0) };
}

function rs256(): { ops: number; secs: number; cpuS: number } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // A token-endpoint-sized signing input (header.payload of an access token is ~1 KB).
  const input = Buffer.alloc(1100, 'eyJhbGciOiJSUzI1NiJ9');
  const run = (until: number): number => {
    let ops = 0;
    while (performance.now() < until) {
      for (let k = 0; k < 16; k++) sign('sha256', input, privateKey);
      ops += 16;
    }
    return ops;
  };
  run(performance.now() + Math.min(300, ms / 3));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ops = run(t0 + ms);
  return { ops, secs: (performance.now() - t0) / 1000, cpuS: cpuSince(c0) };
}

// cpuS: on a busy machine the rate per CPU-second (ops / cpuS) is the figure other processes do not move.
const answer = (r: { ops: number; secs: number; cpuS: number }) => ({ rate: r.ops / r.secs, ops: r.ops, secs: r.secs, cpuS: r.cpuS });
if (mode === 'both') {
  const hs = answer(await hs256());
  process.stdout.write(`${JSON.stringify({ hs256: hs, rs256: answer(rs256()) })}\n`);
  process.exit(0);
}
const r = mode === 'hs256' ? await hs256() : mode === 'rs256' ? rs256() : undefined;
if (!r) {
  process.stderr.write('usage: node bench/crypto-rates.ts hs256|rs256|both <ms>\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(answer(r))}\n`);
process.exit(0);
