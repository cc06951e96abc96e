// The unmodified az CLI as a test client: each test file gives it its own AZURE_CONFIG_DIR (a temp
// folder, so nothing touches the user's az settings), Lapis's CA, and no telemetry, version checks
// or proxies, so az talks to nothing but Lapis. A hang is killed and fails the test.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { azCli } from '../identity/external-tools.ts';
import { host } from '../identity/support.ts';
import { startTestLapis, type TestLapis } from './lapis.ts';

export interface AzResult { code: number | null; stdout: string; stderr: string; json: any }

export interface AzOptions {
  /** Called with all stderr so far on each chunk (e.g. to read a device code while az waits). */
  onStderr?: (all: string, child: ChildProcess) => void;
  timeoutMs?: number;
}

/** An `az` runner for one config folder and one Lapis CA (both read at each call). */
export function azRunner(context: () => { configDir: string; caCertPath: string }) {
  return (args: string[], o: AzOptions = {}): Promise<AzResult> => new Promise((resolve, reject) => {
    const { configDir, caCertPath } = context();
    const child = spawn('az', args, {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: configDir, AZURE_CONFIG_DIR: configDir,
        REQUESTS_CA_BUNDLE: caCertPath, SSL_CERT_FILE: caCertPath,
        AZURE_CORE_COLLECT_TELEMETRY: 'false', AZURE_CORE_CHECK_CLI_VERSION: 'false', AZURE_CORE_SURVEY_MESSAGE: 'false',
        AZURE_CORE_NO_COLOR: 'true', AZURE_CORE_OUTPUT: 'json', NO_PROXY: 'localhost,127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => { stdout += c; });
    child.stderr!.on('data', (c: Buffer) => { stderr += c; o.onStderr?.(stderr, child); });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch { /* not JSON */ }
      resolve({ code, stdout, stderr, json });
    });
  });
}

export const azOk = (r: AzResult, what: string): void => assert.equal(r.code, 0, `${what} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);

/** `az cloud register` + `az cloud set` for Lapis at `host` (with its adfs authority unless told not to). */
export async function useLapisCloud(az: ReturnType<typeof azRunner>, host: string, withAuthority = true): Promise<void> {
  azOk(await az(['cloud', 'register', '--name', 'Lapis', ...(withAuthority ? ['--endpoint-active-directory', `${host}/adfs`] : []), '--endpoint-resource-manager', `${host}/`]), 'az cloud register');
  azOk(await az(['cloud', 'set', '--name', 'Lapis']), 'az cloud set');
}

/**
 * One test file's az world: Lapis started from `config` with a fresh AZURE_CONFIG_DIR before the
 * tests and both removed after them, or `skip` (the reason, also printed) when az is not usable.
 */
export interface AzWorld {
  skip: string | false;
  readonly lapis: TestLapis;
  /** Lapis's https origin as az must be told it. */
  readonly host: string;
  run: ReturnType<typeof azRunner>;
  az: (...args: string[]) => Promise<AzResult>;
}

export function azWorld(what: string, config: object): AzWorld {
  const tool = azCli();
  const skip = tool.path ? false : tool.reason!;
  if (skip) console.log(`# skipping ${what}: ${skip}`);
  let lapis: TestLapis | undefined;
  let configDir = '';
  before(async () => {
    if (skip) return;
    configDir = mkdtempSync(join(tmpdir(), 'lapis-az-'));
    lapis = await startTestLapis({ config });
  });
  after(async () => {
    await lapis?.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });
  const run = azRunner(() => ({ configDir, caCertPath: lapis!.ready.caCertPath }));
  return {
    skip,
    get lapis() { return lapis!; },
    get host() { return host(lapis!.ready); },
    run,
    az: (...args) => run(args),
  };
}

/** `az login --service-principal` with a client secret, asserted to succeed; returns az's answer. */
export async function azLoginServicePrincipal(w: AzWorld, sp: { appId: string; secret: string }, tenant: string): Promise<AzResult> {
  const r = await w.az('login', '--service-principal', '--username', sp.appId, '--password', sp.secret, '--tenant', tenant);
  azOk(r, 'az login');
  return r;
}
