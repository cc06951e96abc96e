// Shared set-up for probing the real .NET app-server SDK: an in-process Lapis for identity (its
// authority host, its CA, its TLS leaf for the stand-in), two registered applications (a secret and
// a certificate), the built app, and the recording service stand-in(s).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import { createClientCert } from '../helpers/certs.ts';
import type { ClientCert } from '../helpers/certs.ts';
import { startDotnetApp } from './dotnet-app.ts';
import type { DotnetApp } from './dotnet-app.ts';
import { ServiceStandin, jsonHubFrame } from './service-standin.ts';
import type { ServerConnection, StandinOptions } from './service-standin.ts';

export const TENANT = '7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09';
export const SECRET_APP = { appId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01', secret: 'dotnet-interop-secret-0123456789' };
export const CERT_APP = { appId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c02' };

export interface ProbeWorld {
  lapis: TestLapis;
  cert: ClientCert;
  tls: { cert: string; key: string };
  stop(): Promise<void>;
}

/** Lapis as the identity provider only; the service side is the stand-in. */
export async function startProbeWorld(): Promise<ProbeWorld> {
  const cert = await createClientCert('dotnet-interop-cert-app');
  const lapis = await startTestLapis({
    config: {
      tenantId: TENANT,
      applications: [
        { displayName: 'dotnet-secret-app', appId: SECRET_APP.appId, passwordCredentials: [{ displayName: 'ci', secretText: SECRET_APP.secret }] },
        { displayName: 'dotnet-cert-app', appId: CERT_APP.appId, keyCredentials: [{ type: 'AsymmetricX509Cert', key: cert.certPem }] },
      ],
    },
  });
  // The stand-in serves Lapis's own leaf (localhost, 127.0.0.1), so one CA covers both.
  const tlsDir = join(lapis.dataDir, 'tls');
  const tls = { cert: readFileSync(join(tlsDir, 'server.pem'), 'utf8'), key: readFileSync(join(tlsDir, 'server-key.pem'), 'utf8') };
  return { lapis, cert, tls, stop: () => lapis.stop() };
}

export function startStandin(world: ProbeWorld, opts: Omit<StandinOptions, 'tls'> & { plain?: boolean } = {}): Promise<ServiceStandin> {
  return ServiceStandin.start({ ...opts, tls: opts.plain ? undefined : world.tls });
}

/** Environment of the seed's code: endpoint 1 with the secret app, endpoint 2 with the certificate app. */
export function entraEnv(world: ProbeWorld, endpoint1: string, endpoint2?: string): Record<string, string> {
  const env: Record<string, string> = {
    LAPIS_APP_MODE: 'entra',
    LAPIS_AUTHORITY_HOST: world.lapis.ready.authorityHost,
    LAPIS_TENANT_ID: TENANT,
    LAPIS_ENDPOINT_1: endpoint1,
    LAPIS_CLIENT_ID_1: SECRET_APP.appId,
    LAPIS_CLIENT_SECRET_1: SECRET_APP.secret,
  };
  if (endpoint2) Object.assign(env, { LAPIS_ENDPOINT_2: endpoint2, LAPIS_CLIENT_ID_2: CERT_APP.appId, LAPIS_CLIENT_CERT_PATH_2: world.cert.pemPath });
  return env;
}

export function startApp(world: ProbeWorld, dllPath: string, env: Record<string, string>): Promise<DotnetApp> {
  const caCertPath = process.env.PROBE_NO_CA ? undefined : world.lapis.ready.caCertPath; // PROBE_NO_CA: what happens untrusted
  return startDotnetApp({ dllPath, caCertPath, env, logLevels: { 'Microsoft.Azure.SignalR': 'Debug' } });
}

/**
 * Plays one client of default mode on a server connection, as the service would: OpenConnection
 * with claims/headers/query/protocol, then the client's JSON handshake in ConnectionData.
 */
export function openClient(conn: ServerConnection, connectionId: string, claims: Record<string, string> = {}, protocol = 'json'): void {
  conn.send([4, connectionId, claims, { Host: ['localhost'], 'User-Agent': ['probe'] }, '?hub=chathub&asrs.op=%2Fchat', new Map([[3, protocol]])]);
  // The hub handshake request is JSON text whatever protocol it names.
  conn.send([6, connectionId, jsonHubFrame({ protocol, version: 1 }), {}]);
}

let invocation = 0;
/** A JSON hub invocation from the simulated client; returns its invocation id. */
export function invoke(conn: ServerConnection, connectionId: string, target: string, args: unknown[]): string {
  const invocationId = String(++invocation);
  conn.send([6, connectionId, jsonHubFrame({ type: 1, invocationId, target, arguments: args }), {}]);
  return invocationId;
}

/** Hub-protocol JSON messages inside a binary payload (split on the record separator). */
export function hubMessages(payload: unknown): Record<string, unknown>[] {
  if (!(payload instanceof Uint8Array)) return [];
  return Buffer.from(payload).toString('utf8').split('\x1e').filter(Boolean).map((t) => JSON.parse(t) as Record<string, unknown>);
}
