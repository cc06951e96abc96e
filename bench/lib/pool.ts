/**
 * The load-generator processes, seen from the orchestrator: request/response over IPC, and the
 * running total of received frames that the workers push (used for delivery-based flow control).
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep, spawnNode, stop } from './proc.ts';

const WORKER = fileURLToPath(new URL('../loadgen-worker.ts', import.meta.url));

export interface WorkerStats {
  frames: number;
  bytes: number;
  reads: number;
  minLen: number;
  maxLen: number;
  unexpectedCloses: number;
  open: number;
}

class Worker {
  readonly child: ChildProcess;
  readonly #waiting = new Map<number, (v: Record<string, unknown>) => void>();
  #rid = 0;
  frames = 0;

  constructor(core: number, onCount: () => void, script: string) {
    this.child = spawnNode({ core, args: [script], ipc: true, stdout: 'inherit' });
    this.child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[loadgen ${this.child.pid}] ${d}`));
    this.child.on('message', (raw) => {
      const m = raw as Record<string, unknown>;
      if (m.t === 'c') {
        this.frames = m.frames as number;
        onCount();
        return;
      }
      const done = this.#waiting.get(m.rid as number);
      this.#waiting.delete(m.rid as number);
      done?.(m);
    });
    this.child.on('exit', (code, signal) => {
      for (const done of this.#waiting.values()) done({ error: `load generator exited (${code ?? signal})` });
      this.#waiting.clear();
    });
  }

  call(cmd: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const rid = ++this.#rid;
    return new Promise((resolve, reject) => {
      this.#waiting.set(rid, (m) => (m.error ? reject(new Error(String(m.error))) : resolve(m)));
      this.child.send({ rid, cmd, ...args });
    });
  }
}

export class WorkerPool {
  readonly workers: Worker[];
  /** Called whenever a worker pushes a new count. */
  onCount: () => void = () => {};

  /** `script`: another worker speaking the same IPC protocol (e.g. the default-mode receivers). */
  constructor(count: number, core: number, script = WORKER) {
    this.workers = Array.from({ length: count }, () => new Worker(core, () => this.onCount(), script));
  }

  /** Sum of the latest pushed frame counts (at most one push interval old). */
  get frames(): number {
    let n = 0;
    for (const w of this.workers) n += w.frames;
    return n;
  }

  all(cmd: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> {
    return Promise.all(this.workers.map((w) => w.call(cmd, args)));
  }

  async reset(): Promise<void> {
    await this.all('reset');
    for (const w of this.workers) w.frames = 0;
  }

  /**
   * After a flow: waits until the receivers counted `expected` messages (or `drainMs` passed), stops
   * their count reports, and answers their totals.
   */
  async drain(expected: number, drainMs: number): Promise<WorkerStats> {
    const deadline = Date.now() + drainMs;
    while (this.frames < expected && Date.now() < deadline) await sleep(10);
    await sleep(20);
    await this.all('report', { on: false });
    return this.stats();
  }

  async stats(): Promise<WorkerStats> {
    const parts = (await this.all('stats')) as unknown as WorkerStats[];
    const sum: WorkerStats = { frames: 0, bytes: 0, reads: 0, minLen: Number.POSITIVE_INFINITY, maxLen: 0, unexpectedCloses: 0, open: 0 };
    for (const p of parts) {
      sum.frames += p.frames;
      sum.bytes += p.bytes;
      sum.reads += p.reads;
      if (p.frames > 0) sum.minLen = Math.min(sum.minLen, p.minLen);
      sum.maxLen = Math.max(sum.maxLen, p.maxLen);
      sum.unexpectedCloses += p.unexpectedCloses;
      sum.open += p.open;
    }
    if (!Number.isFinite(sum.minLen)) sum.minLen = 0;
    return sum;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => stop(w.child, 2000, 'SIGTERM')));
  }
}
