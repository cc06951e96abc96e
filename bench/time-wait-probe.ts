/**
 * Why sessions must not reuse the generators' source addresses (bench/throughput.ts,
 * connectReceivers): connects N sockets from one source address to a local server, closes them
 * from the client side (their ports wait in TIME_WAIT for 60 s), and does it again twice, then once
 * from a fresh address, printing the wall and system CPU time of each set.
 *   taskset -c 1 node bench/time-wait-probe.ts [N=3750] [block=61]   (uses 127.0.<block>.10 and .11)
 * Run it at most once a minute with the same block (its own TIME_WAIT ports would count).
 */
import net from 'node:net';

const N = Number(process.argv[2] ?? 3750);
const block = process.argv[3] ?? '61';
const server = net.createServer((s) => {
  s.on('error', () => {});
  s.on('end', () => s.end());
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as net.AddressInfo).port;

async function connectMany(localAddress: string, n: number, concurrency = 64): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  let next = 0;
  const one = async () => {
    while (next < n) {
      next++;
      const s = net.connect({ port, host: '127.0.0.1', localAddress });
      await new Promise<void>((resolve, reject) => {
        s.once('connect', resolve);
        s.once('error', reject);
      });
      out.push(s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  return out;
}

async function set(label: string, localAddress: string): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const socks = await connectMany(localAddress, N);
  const c = process.cpuUsage(c0);
  process.stdout.write(`${label}: ${N} connects from ${localAddress} in ${(performance.now() - t0).toFixed(0)} ms, system CPU ${(c.system / 1000).toFixed(0)} ms, user ${(c.user / 1000).toFixed(0)} ms\n`);
  for (const s of socks) s.destroy(); // the client closes first: its ports go to TIME_WAIT
  await new Promise((r) => setTimeout(r, 500));
}

const a = `127.0.${block}.10`;
await set('fresh address', a);
await set('same address, one earlier set in TIME_WAIT', a);
await set('same address, two earlier sets in TIME_WAIT', a);
await set('a fresh address again', `127.0.${block}.11`);
server.close();
process.exit(0);
