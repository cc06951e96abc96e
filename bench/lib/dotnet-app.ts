/**
 * The interop tests' ASP.NET Core app (test/interop/dotnet/, built once per content hash by the
 * test's builder) as a benchmark contestant: started through `taskset` so that the runtime sizes
 * its thread pool and GC for the one core it is given from the first instruction on, with its pid
 * known (CPU time is read from /proc), and stopped with its whole process group.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { buildDotnetApp, freePort, trackChild } from '../../test/interop/dotnet-app.ts';
import type { BuildResult } from '../../test/interop/dotnet-app.ts';
import { hasTaskset, sleep, waitExit } from './proc.ts';

export { buildDotnetApp };
export type { BuildResult };

export interface BenchApp {
  /** http://127.0.0.1:<port>, the app's own origin. */
  url: string;
  pid: number;
  /** The last lines the app wrote (for failure messages). */
  tail(): string;
  stop(): Promise<void>;
}

export async function startBenchApp(o: { dllPath: string; core: number; env: Record<string, string>; caCertPath?: string }): Promise<BenchApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? tmpdir(),
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    DOTNET_NOLOGO: '1',
    ASPNETCORE_ENVIRONMENT: 'Production',
    // Per-request console logging would cost the app more than the work measured.
    Logging__LogLevel__Default: 'Warning',
    LAPIS_APP_URLS: url,
    ...o.env,
  };
  if (o.caCertPath) env.SSL_CERT_FILE = o.caCertPath;
  const cmd = hasTaskset ? ['taskset', '-c', String(o.core), 'dotnet', o.dllPath] : ['dotnet', o.dllPath];
  // taskset execs dotnet, so the child's pid is the app's.
  const child: ChildProcess = spawn(cmd[0]!, cmd.slice(1), { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-6000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const tail = () => out.split('\n').slice(-30).join('\n');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    if (!(await waitExit(child, 10_000))) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      await waitExit(child, 2000);
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the .NET app exited (${child.exitCode}) before listening:\n${tail()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the .NET app did not answer ${url}/healthz within 60 s:\n${tail()}`);
    }
    await sleep(200);
  }
  return { url, pid: child.pid!, tail, stop };
}
