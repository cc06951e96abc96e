#!/usr/bin/env node
// Lapis needs Node 24 (TypeScript type stripping, node:sqlite, the Azure SDKs). The repo installs
// it from npm (the `node` package); when an older Node runs this file, hand over to that one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const local = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin', 'node');
  if (!existsSync(local)) {
    process.stderr.write(`lapis: Node ${process.versions.node} is too old (24 or later is needed); run 'npm install' first.\n`);
    process.exit(1);
  }
  const r = spawnSync(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
process.removeAllListeners('warning'); // node:sqlite's experimental notice is not for our users
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
