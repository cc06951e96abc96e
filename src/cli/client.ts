import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import tls from 'node:tls';
import { Option } from 'commander';
import { DEFAULTS } from '../server/options.ts';
import type { ReadyInfo } from '../server/ready.ts';

/** Prints a command's answer as indented JSON, as az does by default. */
export const printJson = (value: unknown): void => { process.stdout.write(`${JSON.stringify(value, null, 2)}\n`); };

/** The `--data-dir` option of every command that talks to a running node. */
export const dataDirOption = (): Option => new Option('-d, --data-dir <dir>', 'data directory of the running Lapis').env('LAPIS_DATA_DIR').default(DEFAULTS.dataDir);

export class CliError extends Error {
  readonly code = 'LAPIS_CLI';
}

/**
 * Talks to a running Lapis on this machine. It reads `<data dir>/ready.json` (owner-only), trusts
 * the node's CA, and authenticates as the host's managed identity through the App Service
 * endpoint — whoever can read the data directory administers the node, as on an Azure VM.
 */
export class LapisClient {
  readonly ready: ReadyInfo;
  readonly #tokens = new Map<string, { token: string; exp: number }>();

  constructor(dataDir: string) {
    const file = join(resolve(dataDir), 'ready.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new CliError(`no running Lapis found: ${file} does not exist (start one with 'lapis start', or pass --data-dir)`);
    }
    this.ready = JSON.parse(text) as ReadyInfo;
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), readFileSync(this.ready.caCertPath, 'utf8')]);
  }

  async token(resource: string): Promise<string> {
    const cached = this.#tokens.get(resource);
    if (cached && cached.exp > Date.now() / 1000 + 60) return cached.token;
    const mi = this.ready.managedIdentity;
    const url = `${mi.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(resource)}`;
    const res = await fetch(url, { headers: { 'X-IDENTITY-HEADER': mi.identityHeader } }).catch((err: Error) => {
      throw new CliError(`cannot reach Lapis at ${mi.identityEndpoint}: ${err.message}`);
    });
    const body = await res.json() as { access_token?: string; expires_on?: string; error_description?: string };
    if (!res.ok || !body.access_token) throw new CliError(`the managed-identity endpoint refused: ${body.error_description ?? res.status}`);
    this.#tokens.set(resource, { token: body.access_token, exp: Number(body.expires_on) });
    return body.access_token;
  }

  /** The ARM-shaped management API (`https://management.azure.com` tokens). */
  arm<T = Record<string, any>>(method: string, path: string, body?: unknown): Promise<T> {
    return this.call<T>('https://management.azure.com', method, path, body);
  }

  /** The Graph-shaped directory API (`https://graph.microsoft.com` tokens), below `/v1.0`. */
  graph<T = Record<string, any>>(method: string, path: string, body?: unknown): Promise<T> {
    return this.call<T>('https://graph.microsoft.com', method, `/v1.0${path}`, body);
  }

  /** Calls the management origin; throws CliError with the service's message on failure. */
  async call<T>(resource: string, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.ready.managementEndpoint}${path}`, {
      method,
      headers: { authorization: `Bearer ${await this.token(resource)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) as Record<string, unknown> : {};
    if (!res.ok) {
      const err = json.error as { code?: string; message?: string } | undefined;
      throw new CliError(`${res.status} ${err?.code ?? ''}: ${err?.message ?? text}`);
    }
    return json as T;
  }
}
