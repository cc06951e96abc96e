import { resolve } from 'node:path';

/** What `lapis start` needs; every field has a flag and an environment variable. */
export interface StartOptions {
  dataDir: string;
  configPath?: string;
  httpPort: number;
  httpsPort: number;
  /** Address the listeners bind; loopback unless the operator opens it up. */
  host: string;
  logLevel: string;
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
export function resolveStartOptions(flags: Partial<Record<'config' | 'dataDir' | 'httpPort' | 'httpsPort' | 'host' | 'logLevel', string>>, env: NodeJS.ProcessEnv = process.env): StartOptions {
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
  return { dataDir: resolve(dataDir), configPath: configPath && resolve(configPath), httpPort, httpsPort, host, logLevel };
}
