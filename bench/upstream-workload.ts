/**
 * Issue 16's upstream row: event-handler round trips per second. A bare `node:http` handler
 * (bench/servers/upstream-handler.ts) runs on the load core; Lapis, on the server core, has a hub
 * (`upstream`) whose event handler is that server (system events connect + disconnected, user
 * events `*`). Client lanes (on the load core) each loop: open a `json.webpubsub.azure.v1`
 * WebSocket (the blocking `connect` event), send `messages` user events one at a time, each with
 * an ackId (Lapis acks once the handler answered), then close (the `disconnected` event). The
 * rate is what the handler answered per second (its own counters).
 * The baseline (bench/upstream-baseline.ts) is a bare HTTP client pinned to the server core in
 * Lapis's place, sending the same requests to the same handler. Rounds alternate Lapis / bare; both
 * are one process for all their rounds.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { hourToken } from './lib/jwt.ts';
import { cpuSeconds, printedPort, sleep, spawnNode, stop } from './lib/proc.ts';
import { BENCH_KEYS, BENCH_SUBSCRIPTION, BENCH_TENANT, startLapis } from './lib/servers.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const HUB = 'upstream';

export interface UpstreamRound {
  /** Handler round trips per second driven by Lapis (connect + message + disconnected). */
  lapis: number;
  lapisServerCpu: number;
  byType: { connect: number; message: number; disconnected: number };
  /** The same, driven by the bare client. */
  bare: number;
  errors: number;
  firstError?: string;
}

export interface UpstreamResult {
  lanes: number;
  messages: number;
  rounds: UpstreamRound[];
  notes: string[];
}

type Counts = { connect: number; message: number; disconnected: number; other: number };

async function counts(port: number): Promise<Counts> {
  const res = await fetch(`http://127.0.0.1:${port}/counts`);
  return (await res.json()) as Counts;
}

function upstreamWorld(handlerBase: string): Record<string, unknown> {
  return {
    tenantId: BENCH_TENANT,
    subscriptionId: BENCH_SUBSCRIPTION,
    resources: [{
      type: 'Microsoft.SignalRService/webPubSub',
      name: 'bench-upstream',
      resourceGroup: 'rg-bench',
      accessKeys: BENCH_KEYS,
      hubs: [{
        name: HUB,
        properties: {
          anonymousConnectPolicy: 'allow',
          eventHandlers: [{ urlTemplate: `${handlerBase}/{event}`, userEventPattern: '*', systemEvents: ['connect', 'disconnected'] }],
        },
      }],
    }],
  };
}

/** One client lane's WebSocket session; resolves when closed, rejects on any refusal. */
function clientSession(url: string, messages: number, isStopped: () => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url, 'json.webpubsub.azure.v1', { perMessageDeflate: false });
    let sent = 0;
    const next = () => {
      if (sent >= messages || isStopped()) {
        ws.close();
        return;
      }
      sent++;
      ws.send(`{"type":"event","event":"message","dataType":"text","data":"m${sent}","ackId":${sent}}`);
    };
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; event?: string; ackId?: number; success?: boolean; error?: { message?: string } };
      if (m.type === 'system' && m.event === 'connected') next();
      else if (m.type === 'ack') {
        if (m.success !== true) {
          ws.terminate();
          reject(new Error(`event refused: ${m.error?.message ?? 'no reason'}`));
        } else next();
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      reject(new Error(`connect refused: HTTP ${res.statusCode}`));
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
    ws.on('close', () => resolve());
  });
}

async function lapisRound(o: { url: (k: number) => string; lanes: number; messages: number; warmMs: number; measureMs: number; handlerPort: number; pid: number }): Promise<Omit<UpstreamRound, 'bare'>> {
  let stopped = false;
  let errors = 0;
  let firstError: string | undefined;
  const lane = async (k: number) => {
    // Lane k's first connection sends k mod (messages + 1) events, so the lanes' phases are spread
    // and a short window sees the same mix of connect / message / disconnected as a long one.
    for (let n = 0; !stopped; n++) {
      await clientSession(o.url(k), n === 0 ? k % (o.messages + 1) : o.messages, () => stopped).catch((err: Error) => {
        errors++;
        firstError ??= err.message;
      });
    }
  };
  const lanes = Array.from({ length: o.lanes }, (_, k) => lane(k));
  await sleep(o.warmMs);
  const c0 = await counts(o.handlerPort);
  const cpu0 = cpuSeconds(o.pid);
  const t0 = performance.now();
  await sleep(o.measureMs);
  const c1 = await counts(o.handlerPort);
  const secs = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(o.pid);
  stopped = true;
  await Promise.all(lanes);
  const d = { connect: c1.connect - c0.connect, message: c1.message - c0.message, disconnected: c1.disconnected - c0.disconnected };
  return { lapis: (d.connect + d.message + d.disconnected) / secs, lapisServerCpu: (cpu1 - cpu0) / secs, byType: { connect: d.connect / secs, message: d.message / secs, disconnected: d.disconnected / secs }, errors, firstError };
}

type BareResult = { rate: number; errors: number; firstError?: string };

/**
 * The bare client (bench/upstream-baseline.ts), pinned to the server core in Lapis's place: one
 * process for every round (it idles while Lapis is measured), asked for a round over IPC.
 */
class BareClient {
  readonly #child: ChildProcess;
  readonly #ready: Promise<void>;
  readonly #waiting = new Map<number, (m: Record<string, unknown>) => void>();
  #rid = 0;
  #err = '';

  constructor(serverCore: number) {
    this.#child = spawnNode({ core: serverCore, cwd: ROOT, ipc: true, args: ['bench/upstream-baseline.ts'] });
    this.#child.stderr!.on('data', (d: Buffer) => (this.#err = (this.#err + d.toString()).slice(-2000)));
    this.#ready = new Promise((resolve, reject) => {
      this.#child.on('message', (raw) => {
        const m = raw as Record<string, unknown>;
        if (m.ready) resolve();
        const done = this.#waiting.get(m.rid as number);
        this.#waiting.delete(m.rid as number);
        done?.(m);
      });
      this.#child.once('exit', (code) => {
        const why = { error: `the bare upstream client exited (${code}): ${this.#err.slice(-400)}` };
        reject(new Error(why.error));
        for (const done of this.#waiting.values()) done(why);
        this.#waiting.clear();
      });
    });
    this.#ready.catch(() => {});
  }

  async round(o: { base: string; lanes: number; messages: number; warmMs: number; measureMs: number }): Promise<BareResult> {
    await this.#ready;
    const rid = ++this.#rid;
    const m = await new Promise<Record<string, unknown>>((resolve) => {
      this.#waiting.set(rid, resolve);
      this.#child.send({ rid, ...o, hub: HUB });
    });
    if (m.error) throw new Error(String(m.error));
    return m as unknown as BareResult;
  }

  stop(): Promise<void> {
    return stop(this.#child, 5000, 'SIGTERM');
  }
}

/** The event handler (bench/servers/upstream-handler.ts) on the load core; started early, it idles until the row runs. */
export async function startUpstreamHandler(loadCore: number): Promise<{ port: number; stop(): Promise<void> }> {
  const handler = spawnNode({ core: loadCore, cwd: ROOT, args: ['bench/servers/upstream-handler.ts'] });
  try {
    const port = await printedPort(handler, 'upstream-handler');
    return { port, stop: () => stop(handler, 5000, 'SIGTERM') };
  } catch (err) {
    await stop(handler, 5000, 'SIGTERM');
    throw err;
  }
}

export async function runUpstream(o: { workDir: string; serverCore: number; loadCore: number; nodeFlags: string[]; rounds: number; warmMs: number; measureMs: number; lanes: number; messages: number; log: (s: string) => void; handler?: Promise<{ port: number; stop(): Promise<void> }> }): Promise<UpstreamResult> {
  const res: UpstreamResult = { lanes: o.lanes, messages: o.messages, rounds: [], notes: [] };
  const handler = await (o.handler ?? startUpstreamHandler(o.loadCore));
  let bare: BareClient | undefined;
  try {
    const handlerPort = handler.port;
    const base = `http://127.0.0.1:${handlerPort}/upstream`;
    mkdirSync(o.workDir, { recursive: true, mode: 0o700 });
    const configPath = join(o.workDir, 'bench-upstream-world.json');
    writeFileSync(configPath, JSON.stringify(upstreamWorld(base), null, 2));
    // The bare client starts while Lapis does (both on the server core; nothing is measured yet).
    bare = new BareClient(o.serverCore);
    const srv = await startLapis('lapis-json', o.serverCore, { dataDir: join(o.workDir, 'data'), configPath, nodeFlags: o.nodeFlags, resource: 'bench-upstream' });
    try {
      const origin = srv.ep.origin!;
      const token = (k: number) => hourToken({ aud: `${origin}/client/hubs/${HUB}`, sub: `u${k}`, role: [] }, BENCH_KEYS.primaryKey);
      const tokens = Array.from({ length: o.lanes }, (_, k) => token(k));
      const url = (k: number) => `ws://127.0.0.1:${srv.ep.port}/client/hubs/${HUB}?access_token=${tokens[k]}`;
      // Abuse protection runs before the first event: wait until one session goes through.
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await clientSession(url(0), 1, () => false);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw new Error(`no upstream session succeeded in 20 s: ${(err as Error).message}`);
          await sleep(250);
        }
      }
      for (let r = 0; r < o.rounds; r++) {
        const one = { lanes: o.lanes, messages: o.messages, warmMs: o.warmMs, measureMs: o.measureMs };
        const runLapis = () => lapisRound({ ...one, url, handlerPort, pid: srv.pid });
        const runBare = () => bare!.round({ ...one, base });
        let l: Awaited<ReturnType<typeof runLapis>>;
        let b: Awaited<ReturnType<typeof runBare>>;
        if (r % 2 === 0) {
          l = await runLapis();
          b = await runBare();
        } else {
          b = await runBare();
          l = await runLapis();
        }
        const round: UpstreamRound = { ...l, bare: b.rate, errors: l.errors + b.errors, firstError: l.firstError ?? b.firstError };
        res.rounds.push(round);
        if (round.errors > 0) res.notes.push(`upstream round ${r + 1}: ${round.errors} failed request(s)/session(s): ${round.firstError}`);
        o.log(`  upstream round ${r + 1}: Lapis ${round.lapis.toFixed(0)} round trips/s (connect ${l.byType.connect.toFixed(0)}, message ${l.byType.message.toFixed(0)}, disconnected ${l.byType.disconnected.toFixed(0)}; server ${(l.lapisServerCpu * 100).toFixed(0)}%), bare fetch ${b.rate.toFixed(0)}/s = ${(round.lapis / b.rate).toFixed(2)}×${round.errors ? `  ERR ${round.errors} ${round.firstError}` : ''}`);
      }
    } finally {
      await srv.stop();
    }
  } finally {
    await bare?.stop();
    await handler.stop();
  }
  return res;
}
