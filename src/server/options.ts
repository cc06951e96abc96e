import { resolve } from 'node:path';
import { hostname } from 'node:os';

/** What `lapis start` needs; every field has a flag and an environment variable. */
export interface StartOptions {
  dataDir: string;
  configPath?: string;
  httpPort: number;
  httpsPort: number;
  /** Address the listeners bind; loopback unless the operator opens it up. */
  host: string;
  logLevel: string;
  /** `--store`: a PostgreSQL URL shared by a cluster's nodes; undefined = the embedded SQLite file. */
  store?: string | undefined;
  /** `--backplane`: a Redis URL; undefined = in-process (one node). */
  backplane?: string | undefined;
  /** `--node-name`: this node's name in the cluster (logs, metrics, ready.json); defaults to the host name. */
  nodeName?: string | undefined;
  /** `--port-offset`: added to every listener port this node binds (0 stays "any free port"). */
  portOffset?: number | undefined;
  /** `--public-url`: the HTTPS URL clients reach the cluster by (a load balancer); the issuer of every node. */
  publicUrl?: string | undefined;
  /** `--master-key-file`: the key that seals secrets at rest (else LAPIS_MASTER_KEY, else `<dataDir>/master.key`). */
  masterKeyFile?: string | undefined;
}

export const DEFAULTS = { dataDir: './.lapis', httpPort: 8080, httpsPort: 8443, host: '127.0.0.1', logLevel: 'info' } as const;

export class OptionError extends Error {
  readonly code = 'LAPIS_BAD_OPTION';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function parsePort(value: string, what: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new OptionError(`${what} must be a whole number from 0 to 65535 (0 picks a free port); got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return Number(value);
}

/**
 * Merges flags over environment variables over defaults. Flags are strings as typed; each is
 * checked here so a bad value stops start-up with a message naming the flag and the variable.
 */
export type StartFlag = 'config' | 'dataDir' | 'httpPort' | 'httpsPort' | 'host' | 'logLevel' | 'store' | 'backplane' | 'nodeName' | 'portOffset' | 'publicUrl' | 'masterKeyFile';

export function resolveStartOptions(flags: Partial<Record<StartFlag, string>>, env: NodeJS.ProcessEnv = process.env): StartOptions {
  const pick = (flag: string | undefined, envName: string) => flag ?? (env[envName] === '' ? undefined : env[envName]);
  const dataDir = pick(flags.dataDir, 'LAPIS_DATA_DIR') ?? DEFAULTS.dataDir;
  if (dataDir.length > 1024) throw new OptionError('--data-dir / LAPIS_DATA_DIR is longer than 1024 characters');
  const configPath = pick(flags.config, 'LAPIS_CONFIG');
  if (configPath !== undefined && configPath.length > 1024) throw new OptionError('--config / LAPIS_CONFIG is longer than 1024 characters');
  const httpPort = parsePort(pick(flags.httpPort, 'LAPIS_HTTP_PORT') ?? String(DEFAULTS.httpPort), '--http-port / LAPIS_HTTP_PORT');
  const httpsPort = parsePort(pick(flags.httpsPort, 'LAPIS_HTTPS_PORT') ?? String(DEFAULTS.httpsPort), '--https-port / LAPIS_HTTPS_PORT');
  if (httpPort !== 0 && httpPort === httpsPort) throw new OptionError('the HTTP and HTTPS ports must differ');
  const host = pick(flags.host, 'LAPIS_HOST') ?? DEFAULTS.host;
  if (!/^[\w.:-]{1,253}$/.test(host)) throw new OptionError(`--host / LAPIS_HOST is not an address: ${JSON.stringify(host.slice(0, 40))}`);
  const logLevel = pick(flags.logLevel, 'LAPIS_LOG_LEVEL') ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new OptionError(`--log-level / LAPIS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const cluster = resolveClusterOptions(pick(flags.store, 'LAPIS_STORE'), pick(flags.backplane, 'LAPIS_BACKPLANE'));
  const nodeName = pick(flags.nodeName, 'LAPIS_NODE_NAME') ?? defaultNodeName();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(nodeName)) {
    throw new OptionError(`--node-name / LAPIS_NODE_NAME must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit; got ${JSON.stringify(nodeName.slice(0, 70))}`);
  }
  const offsetText = pick(flags.portOffset, 'LAPIS_PORT_OFFSET') ?? '0';
  if (!/^\d{1,5}$/.test(offsetText) || Number(offsetText) > 60000) {
    throw new OptionError(`--port-offset / LAPIS_PORT_OFFSET must be a whole number from 0 to 60000; got ${JSON.stringify(offsetText.slice(0, 40))}`);
  }
  const portOffset = Number(offsetText);
  for (const [port, what] of [[httpPort, '--http-port'], [httpsPort, '--https-port']] as const) {
    if (port !== 0 && port + portOffset > 65535) throw new OptionError(`${what} plus --port-offset is above 65535`);
  }
  const publicUrl = parsePublicUrl(pick(flags.publicUrl, 'LAPIS_PUBLIC_URL'));
  const masterKeyFile = pick(flags.masterKeyFile, 'LAPIS_MASTER_KEY_FILE');
  if (masterKeyFile !== undefined && masterKeyFile.length > 1024) throw new OptionError('--master-key-file / LAPIS_MASTER_KEY_FILE is longer than 1024 characters');
  return {
    dataDir: resolve(dataDir), configPath: configPath && resolve(configPath), httpPort, httpsPort, host, logLevel,
    ...cluster, nodeName, portOffset, publicUrl, masterKeyFile: masterKeyFile && resolve(masterKeyFile),
  };
}

/** The port a listener binds: the configured one plus this node's offset; 0 stays "any free port". */
export function offsetPort(port: number, offset: number): number {
  return port === 0 ? 0 : port + offset;
}

/** A shared store needs a backplane and the reverse: half a cluster would silently diverge. */
function resolveClusterOptions(store: string | undefined, backplane: string | undefined): { store?: string; backplane?: string } {
  if (store !== undefined) checkUrl(store, ['postgresql:', 'postgres:'], '--store / LAPIS_STORE', 'postgresql://USER:PASSWORD@HOST:5432/DATABASE');
  if (backplane !== undefined) checkUrl(backplane, ['redis:', 'rediss:'], '--backplane / LAPIS_BACKPLANE', 'redis://HOST:6379');
  if ((store === undefined) !== (backplane === undefined)) {
    throw new OptionError(store === undefined
      ? '--backplane / LAPIS_BACKPLANE needs --store / LAPIS_STORE too: the nodes of a cluster share a PostgreSQL store and a Redis backplane'
      : '--store / LAPIS_STORE needs --backplane / LAPIS_BACKPLANE too: the nodes of a cluster share a PostgreSQL store and a Redis backplane');
  }
  return { ...(store !== undefined ? { store } : {}), ...(backplane !== undefined ? { backplane } : {}) };
}

function checkUrl(value: string, schemes: string[], what: string, example: string): void {
  let url: URL | undefined;
  try {
    url = value.length <= 2048 ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || !schemes.includes(url.protocol) || !url.hostname) {
    throw new OptionError(`${what} must be a URL like ${example} (at most 2048 characters)`);
  }
}

function parsePublicUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = value.length <= 2048 ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || url.search || url.hash || url.username || url.password || (url.pathname !== '/' && url.pathname !== '')) {
    throw new OptionError('--public-url / LAPIS_PUBLIC_URL must be an https:// origin without a path, like https://lapis.example.com:8443');
  }
  return url.origin;
}

function defaultNodeName(): string {
  const name = hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return name || 'node';
}
