import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../tls/index.ts';

export interface ReadyResource {
  type: string;
  name: string;
  id: string;
  endpoint?: string;
  httpEndpoint?: string;
  connectionString?: string;
  vaultUri?: string;
}

/** The start-up contract's ready.json (DESIGN.md). */
export interface ReadyInfo {
  httpUrl: string;
  httpsUrl: string;
  authorityHost: string;
  managementEndpoint: string;
  /** The web portal on the main HTTPS listener: `{httpsUrl}/portal/`. */
  portalUrl?: string;
  tenantId: string;
  subscriptionId: string;
  caCertPath: string;
  managedIdentity: {
    identityEndpoint: string;
    identityHeader: string;
    imdsEndpoint: string;
    systemAssigned: { clientId: string; objectId: string };
  };
  resources: ReadyResource[];
  /** This node's name (`--node-name`, default the host name). */
  nodeName?: string;
  /** Cluster mode only: the kinds of the shared store and backplane, never their URLs. */
  store?: 'postgresql';
  backplane?: 'redis';
}

export function readyPath(dataDir: string): string {
  return join(dataDir, 'ready.json');
}

/** Written atomically and readable by the owner only: it holds the identity header and keys. */
export function writeReady(dataDir: string, info: ReadyInfo): void {
  writeAtomic(readyPath(dataDir), `${JSON.stringify(info, null, 2)}\n`, 0o600);
}

export function removeReady(dataDir: string): void {
  rmSync(readyPath(dataDir), { force: true });
}
