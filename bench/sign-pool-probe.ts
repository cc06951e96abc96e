/**
 * Issue 16's question "does signing on a worker pool help on 2 cores?", measured directly:
 * RSA-2048 RS256 signatures per second three ways over ~`ms` each, in this process:
 *   sync      crypto.sign on the event loop (one core at most)
 *   webcrypto jose's path (crypto.subtle.sign: Node runs it on the libuv thread pool, 4 threads
 *             by default), 64 in flight — already a pool off the event loop
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

const out = { sync: syncRate(), webcrypto: await webcryptoRate(), workers2: await workersRate(2) };
process.stdout.write(`${JSON.stringify(out)}\n`);
