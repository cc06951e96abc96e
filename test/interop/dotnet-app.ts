// The .NET app server of test/interop/dotnet/ as a child process: built once per content hash into
// a temp folder shared by every test process of a run (and later runs), started on a free port with
// Lapis's CA as its only trust anchor, stopped with its whole process group.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Restore + publish of two packages takes seconds with a warm NuGet cache, minutes cold. */
const BUILD_TIMEOUT_MS = 5 * 60_000;

/**
 * Process groups of the children started here: killed when this process exits, so a test run that
 * ends early (a failure, --test-force-exit) leaves no .NET process behind.
 */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pid of liveGroups) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

/** Records a detached child's process group until it exits. */
export function trackChild(child: ChildProcess): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  liveGroups.add(pid);
  child.once('exit', () => liveGroups.delete(pid));
}

export type BuildResult = { ok: true; dllPath: string } | { ok: false; reason: string };

const building = new Map<string, Promise<BuildResult>>();

/** Files whose content decides the build: sources and project, not bin/ obj/. */
function projectHash(projectDir: string): string {
  const hash = createHash('sha256');
  const files = readdirSync(projectDir).filter((f) => /\.(cs|csproj|json|config)$/i.test(f)).sort();
  for (const f of files) hash.update(f).update('\0').update(readFileSync(join(projectDir, f))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Whether an executable `dotnet` is on PATH (a file check: no process start). */
function dotnetOnPath(): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'dotnet'), constants.X_OK);
      return true;
    } catch { /* not here */ }
  }
  return false;
}

function dotnetVersion(): string | undefined {
  const r = spawnSync('dotnet', ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function tail(text: string, lines = 15): string {
  return text.split('\n').filter((l) => l.trim()).slice(-lines).join('\n');
}

/** The app server of test/interop/dotnet/ (see buildDotnetProject). */
export function buildDotnetApp(): Promise<BuildResult> {
  return buildDotnetProject('dotnet', 'LapisInterop.dll');
}

/** The .NET SignalR client of test/interop/dotnet-client/ (see buildDotnetProject). */
export function buildDotnetClient(): Promise<BuildResult> {
  return buildDotnetProject('dotnet-client', 'LapisInteropClient.dll');
}

/**
 * Builds a project under test/interop/ once (per content hash) and returns the path of its DLL, or
 * why it cannot be built here (no `dotnet`, or a restore that fails because the NuGet feed is
 * unreachable). Concurrent test processes each publish into their own staging folder and rename
 * into place; the loser of the race discards its copy.
 */
export function buildDotnetProject(folder: string, dll: string): Promise<BuildResult> {
  const projectDir = join(HERE, folder);
  const pending = building.get(folder) ?? (async (): Promise<BuildResult> => {
    const missing = { ok: false as const, reason: 'dotnet is not installed (the .NET SDK is needed for the default-mode interop tests)' };
    const root = join(tmpdir(), 'lapis-dotnet-interop');
    const target = join(root, `${folder}-${projectHash(projectDir)}`);
    const dllPath = join(target, 'out', dll);
    // Built before: no need to ask the SDK its version (`dotnet --version` takes seconds on a cold CLI).
    if (existsSync(dllPath) && dotnetOnPath()) return { ok: true, dllPath };
    const version = dotnetVersion();
    if (!version) return missing;
    mkdirSync(root, { recursive: true });
    const staging = `${target}.staging-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(projectDir, join(staging, 'src'), { recursive: true, filter: (src) => !/[\\/](bin|obj)$/.test(src) });
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('dotnet', ['publish', join(staging, 'src'), '-c', 'Release', '-o', join(staging, 'out'), '--nologo'], {
        env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
      const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
      child.on('close', (code) => { clearTimeout(timer); resolve({ code, output }); });
    });
    if (result.code !== 0) {
      rmSync(staging, { recursive: true, force: true });
      const offline = /NU1301|NU1101|NU1102|Unable to load the service index|Name or service not known/.test(result.output);
      return {
        ok: false,
        reason: `${offline ? 'NuGet restore failed (feed unreachable?)' : 'dotnet publish failed'} with dotnet ${version}: ${tail(result.output, 6)}`,
      };
    }
    try {
      renameSync(staging, target);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process published the same hash first
    }
    return existsSync(dllPath) ? { ok: true, dllPath } : { ok: false, reason: `publish produced no ${dll} in ${target}` };
  })();
  building.set(folder, pending);
  return pending;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface DotnetApp {
  /** http://127.0.0.1:<port> — the app's own origin (negotiate, /api/*). */
  url: string;
  /** Every line the process wrote so far (stdout and stderr), for assertions and failure messages. */
  output: string[];
  /** Resolves when a line matching `pattern` has been written (or rejects after `timeoutMs`). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM to the process group; SIGKILL after `killAfterMs` (default 10 s). */
  stop(killAfterMs?: number): Promise<void>;
}

export interface StartOptions {
  dllPath: string;
  /** PEM bundle the app trusts instead of the system store (Lapis's CA). */
  caCertPath?: string;
  env: Record<string, string>;
  /** Log levels, e.g. { 'Microsoft.Azure.SignalR': 'Debug' }. */
  logLevels?: Record<string, string>;
}

/** Starts the app on a free port and waits until it answers /healthz. */
export async function startDotnetApp(opts: StartOptions): Promise<DotnetApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? tmpdir(),
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    DOTNET_NOLOGO: '1',
    ASPNETCORE_ENVIRONMENT: 'Production',
    Logging__Console__FormatterName: 'simple',
    Logging__Console__FormatterOptions__SingleLine: 'true',
    Logging__Console__FormatterOptions__TimestampFormat: 'HH:mm:ss.fff ',
    LAPIS_APP_URLS: url,
    ...opts.env,
  };
  // .NET on Linux reads OpenSSL's variables for its root store; a file replaces the default bundle.
  if (opts.caCertPath) env.SSL_CERT_FILE = opts.caCertPath;
  for (const [category, level] of Object.entries(opts.logLevels ?? {})) env[`Logging__LogLevel__${category}`] = level;

  const child: ChildProcess = spawn('dotnet', [opts.dllPath], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const output: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  const onData = (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      output.push(line);
      for (const w of [...waiters]) if (w.pattern.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));

  const stop = async (killAfterMs = 10_000) => {
    if (exited || child.pid === undefined) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, killAfterMs);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`the .NET app exited before listening:\n${tail(output.join('\n'), 30)}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the .NET app did not answer ${url}/healthz within 60 s:\n${tail(output.join('\n'), 30)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    output,
    waitForOutput(pattern, timeoutMs = 30_000) {
      const seen = output.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve: (line: string) => { clearTimeout(timer); resolve(line); } };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no app output matching ${pattern} within ${timeoutMs} ms:\n${tail(output.join('\n'), 30)}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    stop,
  };
}
