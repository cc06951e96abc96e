/**
 * Issue 16's question "does signing on a worker pool help on 2 cores?", measured directly:
 * RSA-2048 RS256 signatures per second three ways over ~`ms` each, in this process:
 *   sync      crypto.sign on the event loop (one core at most)
 *   pool      crypto.sign with a callback (Lapis's token signing since issue 16: the libuv
 *             thread pool, 4 threads by default), 64 in flight
 *   webcrypto crypto.subtle.sign (jose's path; also the libuv pool), 64 in flight
 *   workers   2 worker_threads each running crypto.sign in a loop (a dedicated pool)
 * Run it with `taskset -c 0` (what the benchmark gives Lapis) and `taskset -c 0,1` (two cores):
 *   taskset -c 0,1 node bench/sign-pool-probe.ts 2000
 */
import { generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import { Worker } from 'node:worker_threads';

const ms = Number(process.argv[2] ?? 2000);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const input = Buffer.alloc(1100, 'eyJhbGciOiJSUzI1NiJ9');

function syncRate(): number {
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < ms) {
    sign('sha256', input, privateKey);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function poolRate(): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  const lane = async () => {
    while (performance.now() - t0 < ms) {
      await new Promise<Buffer>((resolve, reject) => sign('sha256', input, privateKey, (err, sig) => (err ? reject(err) : resolve(sig))));
      n++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, lane));
  return n / ((performance.now() - t0) / 1000);
}

async function webcryptoRate(): Promise<number> {
  const key = await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  const t0 = performance.now();
  let n = 0;
  const lane = async () => {
    while (performance.now() - t0 < ms) {
      await webcrypto.subtle.sign('RSASSA-PKCS1-v1_5', key, input);
      n++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, lane));
  return n / ((performance.now() - t0) / 1000);
}

async function workersRate(count: number): Promise<number> {
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const code = `const { parentPort, workerData } = require('node:worker_threads'); const { sign, createPrivateKey } = require('node:crypto');
    const k = createPrivateKey(workerData.pem); const input = Buffer.alloc(1100, 'x'); const t0 = performance.now(); let n = 0;
    while (performance.now() - t0 < workerData.ms) { sign('sha256', input, k); n++; } parentPort.postMessage(n / ((performance.now() - t0) / 1000));`;
  const rates = await Promise.all(Array.from({ length: count }, () => new Promise<number>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { pem, ms } });
    w.once('message', (r: number) => {
      resolve(r);
      void w.terminate();
    });
    w.once('error', reject);
  })));
  return rates.reduce((a, b) => a + b, 0);
}

/** Rate and the process's CPU (cores) while it ran: on a busy machine the rate per CPU-second is the comparable figure. */
async function measured(run: () => number | Promise<number>): Promise<{ rate: number; cores: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const rate = await run();
  const c = process.cpuUsage(c0);
  return { rate: Math.round(rate), cores: Math.round(((c.user + c.system) / 1e3 / (performance.now() - t0)) * 100) / 100 };
}

const out = { sync: await measured(syncRate), pool: await measured(poolRate), webcrypto: await measured(webcryptoRate), workers2: await measured(() => workersRate(2)) };
process.stdout.write(`${JSON.stringify(out)}\n`);
