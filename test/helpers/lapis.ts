import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { startLapis, type LapisNode } from '../../src/server/node.ts';
import { createLogger, type Logger } from '../../src/log/index.ts';
import type { ReadyInfo } from '../../src/server/ready.ts';

export interface TestLapis {
  ready: ReadyInfo;
  dataDir: string;
  node: LapisNode;
  stop(): Promise<void>;
  /** Stops and starts again on the same data directory (ports of the main listeners may change). */
  restart(): Promise<void>;
}

const trusted = new Set<string>();

/** Makes this process trust a CA, as NODE_EXTRA_CA_CERTS would at start-up. */
export function trustCa(caPath: string): void {
  const pem = readFileSync(caPath, 'utf8');
  if (trusted.has(pem)) return;
  trusted.add(pem);
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), ...trusted]);
}

/**
 * Starts Lapis in this process on free ports with its own data directory, and makes the
 * process trust its CA. The data directory is removed on stop unless the caller gave one.
 */
export async function startTestLapis(opts: { config?: object; dataDir?: string; logLevel?: string; log?: Logger } = {}): Promise<TestLapis> {
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'lapis-test-'));
  let configPath: string | undefined;
  if (opts.config) {
    configPath = join(dataDir, 'test-config.json');
    writeFileSync(configPath, JSON.stringify(opts.config));
  }
  const log = opts.log ?? createLogger({ level: opts.logLevel ?? process.env.LAPIS_TEST_LOG_LEVEL ?? 'silent' });
  const start = () => startLapis({ dataDir, configPath, httpPort: 0, httpsPort: 0, host: '127.0.0.1', logLevel: 'silent' }, log);
  let node = await start();
  trustCa(node.ready.caCertPath);
  const handle: TestLapis = {
    ready: node.ready,
    dataDir,
    node,
    async stop() {
      await node.stop();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await node.stop();
      node = await start();
      handle.node = node;
      handle.ready = node.ready;
    },
  };
  return handle;
}
