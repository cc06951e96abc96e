// Finding the second-language clients the suite drives (Debian's python3-msal, python3-azure and
// azure-cli; .ci/run installs them). A missing one makes its tests skip with the reason.
import { spawnSync } from 'node:child_process';

let python: { path?: string; reason?: string } | undefined;

/** A python3 that can import msal and azure.identity (Debian's /usr/bin/python3 first). */
export function pythonWithAzure(): { path?: string; reason?: string } {
  if (python) return python;
  const reasons: string[] = [];
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(candidate, ['-c', 'import msal, azure.identity; print(msal.__version__)'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0) return (python = { path: candidate });
    reasons.push(`${candidate}: ${r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop()}`);
  }
  return (python = { reason: `python3 with msal and azure-identity not found (apt-get install python3-msal python3-azure): ${reasons.join('; ')}` });
}

let az: { path?: string; reason?: string } | undefined;

/** The az CLI, if installed (azure-cli). */
export function azCli(): { path?: string; reason?: string } {
  if (az) return az;
  const r = spawnSync('az', ['version', '--output', 'json'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, AZURE_CORE_COLLECT_TELEMETRY: 'false' } });
  if (r.status === 0) return (az = { path: 'az' });
  return (az = { reason: `az CLI not usable (apt-get install azure-cli): ${r.error ? r.error.message : (r.stderr || '').trim().slice(0, 200)}` });
}
