/**
 * Test-only composition for the upstream and vault tests, until the lead wires them into
 * `src/server/node.ts`: a full Lapis (identity, directory, resources) from `startTestLapis`, and
 * around it, on listeners of our own, a Web PubSub service whose `events` are an UpstreamDispatcher,
 * and a VaultService. RBAC is a small in-test stand-in for the `authorize` callback.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import type { WebPubSubClientOptions } from '@azure/web-pubsub-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { startTestLapis } from '../helpers/lapis.ts';
import type { TestLapis } from '../helpers/lapis.ts';
import { openListener } from '../../src/server/listeners.ts';
import type { Listener } from '../../src/server/listeners.ts';
import { ensureTls } from '../../src/tls/index.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { WebPubSubService } from '../../src/dataplane/webpubsub/index.ts';
import { createUpstream, managedIdentityOf } from '../../src/upstream/index.ts';
import type { EventHandlerSettings, UpstreamDispatcher, UpstreamOptions } from '../../src/upstream/index.ts';
import { keyVaultId, SECRET_ACTIONS, VaultService } from '../../src/vault/index.ts';

export const TENANT = randomUUID();
export const SUBSCRIPTION = randomUUID();
export const RG = 'rg-1';
export const PRIMARY = 'upstream-primary-key-0123456789abcdef';
export const SECONDARY = 'upstream-secondary-key-0123456789abcd';
export const OPERATOR_SECRET = 'kv-operator-secret-0123456789abcdef';
export const READER_SECRET = 'kv-reader-secret-0123456789abcdefgh';
export const UAMI_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-1`;
export const VAULT_ID = keyVaultId(SUBSCRIPTION, RG, 'kv-1');

export const WORLD = {
  tenantId: TENANT,
  subscriptionId: SUBSCRIPTION,
  applications: [
    { displayName: 'upstream-api', identifierUris: ['api://upstream'] },
    { displayName: 'upstream-v2', identifierUris: ['api://upstream-v2'], api: { requestedAccessTokenVersion: 2 } },
    { displayName: 'kv-operator', passwordCredentials: [{ displayName: 'ci', secretText: OPERATOR_SECRET }] },
    { displayName: 'kv-reader', passwordCredentials: [{ displayName: 'ci', secretText: READER_SECRET }] },
  ],
  userAssignedIdentities: [{ name: 'uami-1', resourceGroup: RG }],
  resources: [
    { type: 'Microsoft.SignalRService/webPubSub', name: 'chat', resourceGroup: RG, identity: { type: 'SystemAssigned' }, accessKeys: { primaryKey: PRIMARY, secondaryKey: SECONDARY } },
    { type: 'Microsoft.SignalRService/webPubSub', name: 'chat-ua', resourceGroup: RG, identity: { type: 'UserAssigned', userAssignedIdentities: { [UAMI_ID]: {} } }, accessKeys: { primaryKey: PRIMARY, secondaryKey: SECONDARY } },
    { type: 'Microsoft.SignalRService/webPubSub', name: 'plain', resourceGroup: RG, accessKeys: { primaryKey: PRIMARY, secondaryKey: SECONDARY } },
  ],
};

/** In-test stand-in for RBAC: grants of DataActions (with `*` suffix wildcards) at a scope and below. */
export class TestRbac {
  readonly grants: { principalId: string; actions: string[]; scope: string }[] = [];
  readonly checks: { principalId: string; action: string; scope: string; allowed: boolean }[] = [];

  grant(principalId: string, role: 'Key Vault Secrets User' | 'Key Vault Secrets Officer', scope: string): () => void {
    const actions = role === 'Key Vault Secrets User'
      ? [SECRET_ACTIONS.getSecret, SECRET_ACTIONS.readMetadata]
      : ['Microsoft.KeyVault/vaults/secrets/*'];
    const g = { principalId, actions, scope };
    this.grants.push(g);
    return () => { this.grants.splice(this.grants.indexOf(g), 1); };
  }

  authorize = (principalId: string, action: string, scope: string): { allowed: boolean; reason?: string } => {
    const allowed = this.grants.some((g) => g.principalId === principalId
      && (scope.toLowerCase() === g.scope.toLowerCase() || scope.toLowerCase().startsWith(`${g.scope.toLowerCase()}/`))
      && g.actions.some((a) => (a.endsWith('*') ? action.toLowerCase().startsWith(a.slice(0, -1).toLowerCase()) : a.toLowerCase() === action.toLowerCase())));
    this.checks.push({ principalId, action, scope, allowed });
    return allowed ? { allowed } : { allowed, reason: 'DeniedWithNoValidRBAC' };
  };
}

export interface Harness {
  lapis: TestLapis;
  rbac: TestRbac;
  store: SqliteStore;
  vault: VaultService;
  vaultUri: string;
  /** Every log line written by the composed services (to check nothing secret is logged). */
  logs: string[];
  log: Logger;
  tls: { key: string; cert: string; caPem: string };
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const lapis = await startTestLapis({ config: WORLD });
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } }));
  const material = await ensureTls(lapis.dataDir);
  const tls = { key: material.keyPem, cert: material.certPem, caPem: material.caCertPem };
  const rbac = new TestRbac();
  // The node's store is not exposed: the vault keeps its secrets in a store file of its own.
  const store = new SqliteStore(join(lapis.dataDir, 'vault-test.db'));
  const listener = await openListener({ name: 'kv-1-https', host: '127.0.0.1', port: 0, tls, log });
  const vaultUri = `https://localhost:${listener.port}`;
  const vault = new VaultService({
    name: 'kv-1', resourceId: VAULT_ID, tenantId: TENANT, vaultUri: () => vaultUri,
    store,
    verifier: lapis.node.identity.verifier, authorityHost: lapis.ready.authorityHost,
    authorize: rbac.authorize, log,
  });
  vault.mount(listener.app);
  await listener.app.ready();
  return {
    lapis, rbac, store, vault, vaultUri, logs, log, tls,
    async close() {
      await vault.close();
      await listener.close();
      await store.close();
      await lapis.stop();
    },
  };
}


export interface UpstreamResource {
  name: string;
  upstream: UpstreamDispatcher;
  service: WebPubSubService;
  endpoint: string;
  connectionString: string;
  handlers: Record<string, EventHandlerSettings[]>;
  serviceClient(hub: string): WebPubSubServiceClient;
  client(hub: string, token?: { userId?: string; roles?: string[] }, options?: WebPubSubClientOptions): WebPubSubClient;
  close(): Promise<void>;
}

/**
 * A Web PubSub runtime for one of Lapis's resources, on an HTTPS listener of its own, with an
 * UpstreamDispatcher as its event hooks; hub handler settings are set through `handlers`.
 */
export async function startUpstreamResource(h: Harness, name: string, overrides: Partial<UpstreamOptions> = {}): Promise<UpstreamResource> {
  const node = h.lapis.node;
  const record = () => node.resources.get(name)!;
  const listener: Listener = await openListener({ name: `${name}-test`, host: '127.0.0.1', port: 0, tls: h.tls, log: h.log });
  const endpoint = `https://localhost:${listener.port}`;
  const handlers: Record<string, EventHandlerSettings[]> = {};
  const upstream = createUpstream({
    resourceName: name,
    resourceId: record().id,
    publicEndpoint: () => endpoint,
    getAccessKeys: () => record().accessKeys,
    getEventHandlers: (hub) => handlers[hub],
    identity: node.identity,
    getManagedIdentity: () => managedIdentityOf(node.identity.directory, record()),
    vaultOrigins: () => [h.vaultUri],
    ca: h.tls.caPem,
    log: h.log.child({ resource: name }),
    timing: { requestTimeoutMs: 3000, retryDelaysMs: [50, 100, 150], validationTimeoutMs: 2000, validationRetryMinMs: 50, validationRetryMaxMs: 200, keyVaultRetryFailedMs: 100 },
    ...overrides,
  });
  const unsubscribe = h.vault.onSecretChanged(() => upstream.keyVaultChanged(h.vaultUri));
  const service = new WebPubSubService({
    name, resourceId: record().id,
    getAccessKeys: () => record().accessKeys,
    isLocalAuthDisabled: () => false,
    getHubSettings: () => undefined,
    log: h.log.child({ resource: name }),
    events: upstream,
  });
  service.mount(listener.app);
  await listener.app.ready();
  const connectionString = `Endpoint=${endpoint};AccessKey=${record().accessKeys.primaryKey};Version=1.0;`;
  return {
    name, upstream, service, endpoint, connectionString, handlers,
    serviceClient: (hub) => new WebPubSubServiceClient(connectionString, hub),
    client: (hub, token = {}, options = {}) => new WebPubSubClient({
      getClientAccessUrl: async () => (await new WebPubSubServiceClient(connectionString, hub).getClientAccessToken(token)).url,
    }, { messageRetryOptions: { maxRetries: 0 }, reconnectRetryOptions: { maxRetries: 0 }, autoReconnect: false, ...options }),
    async close() {
      unsubscribe();
      await service.close();
      await upstream.close();
      await listener.close();
    },
  };
}

/** Verifies an upstream bearer token as an app would: Lapis's discovery document, its JWKS, the audience. */
export async function verifyUpstreamToken(authorityHost: string, token: string, audience: string): Promise<JWTPayload> {
  const [, body] = token.split('.');
  const ver = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')).ver as string;
  const discovery = ver === '2.0'
    ? `${authorityHost}/${TENANT}/v2.0/.well-known/openid-configuration`
    : `${authorityHost}/${TENANT}/.well-known/openid-configuration`;
  const meta = await (await fetch(discovery)).json() as { issuer: string; jwks_uri: string };
  const jwks = jwksCache.get(meta.jwks_uri) ?? createRemoteJWKSet(new URL(meta.jwks_uri));
  jwksCache.set(meta.jwks_uri, jwks);
  const { payload } = await jwtVerify(token, jwks, {
    issuer: meta.issuer, audience, algorithms: ['RS256'], clockTolerance: 300, requiredClaims: ['tid', 'oid', 'exp', 'nbf'],
  });
  if (payload.tid !== TENANT) throw new Error(`unexpected tenant ${String(payload.tid)}`);
  return payload;
}
const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

export function secretClient(h: Harness, appSecret: string, appName: string, options: { verifyChallenge?: boolean } = {}): SecretClient {
  const app = h.lapis.node.identity.directory.findApplication(appName)!;
  const credential = new ClientSecretCredential(TENANT, app.appId, appSecret, { authorityHost: h.lapis.ready.authorityHost, disableInstanceDiscovery: true });
  return new SecretClient(h.vaultUri, credential, { disableChallengeResourceVerification: options.verifyChallenge !== true, retryOptions: { maxRetries: 0 } });
}

export function principalOf(h: Harness, appName: string): string {
  const dir = h.lapis.node.identity.directory;
  return dir.servicePrincipal(dir.findApplication(appName)!.appId)!.id;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

export function within<T>(p: Promise<T>, ms = 10_000, what = 'operation'): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => { throw new Error(`${what} timed out after ${ms} ms`); })]);
}

// ---- an app server using the unmodified @azure/web-pubsub-express ------------------------------

import express from 'express';
import type { Server } from 'node:http';
import { WebPubSubEventHandler } from '@azure/web-pubsub-express';
import type { WebPubSubEventHandlerOptions } from '@azure/web-pubsub-express';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface ExpressApp {
  port: number;
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** An express 5 app with WebPubSubEventHandler at `/eventhandler` for `hub`; records every request. */
export async function startExpressApp(hub: string, options: WebPubSubEventHandlerOptions, before?: express.RequestHandler): Promise<ExpressApp> {
  const app = express();
  const requests: RecordedRequest[] = [];
  app.use((req, _res, next) => {
    requests.push({ method: req.method, path: req.path, query: { ...req.query }, headers: { ...req.headers } });
    next();
  });
  if (before) app.use(before);
  const handler = new WebPubSubEventHandler(hub, { path: '/eventhandler', ...options });
  app.use(handler.getMiddleware());
  const server: Server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const port = (server.address() as { port: number }).port;
  return {
    port, url: `http://127.0.0.1:${port}`, requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
