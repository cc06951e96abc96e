// A full Lapis (identity, managed-identity endpoint, token verifier) plus the ARM-shaped
// Microsoft.Authorization API mounted on a fastify instance of the test's own, until the server
// composition mounts it (then these tests can point at `ready.managementEndpoint` instead).
import Fastify, { type FastifyInstance } from 'fastify';
import { ClientSecretCredential } from '@azure/identity';
import { AccessControl } from '../../src/access/index.ts';
import { armRoutes, directoryPrincipalResolver } from '../../src/control/arm/index.ts';
import { graphRoutes } from '../../src/control/graph/index.ts';
import { openMemoryStore } from '../../src/store/index.ts';
import { startTestLapis, type TestLapis } from '../helpers/lapis.ts';

export const ARM = 'https://management.azure.com';
export const API = 'api-version=2022-04-01';

export interface ArmHarness {
  lapis: TestLapis;
  access: AccessControl;
  app: FastifyInstance;
  /** Origin of the management API under test. */
  url: string;
  hostPrincipalId: string;
  adminPrincipalId: string;
  adminCredential: ClientSecretCredential;
  stop(): Promise<void>;
}

export async function startArm(config: Record<string, unknown>, opts: { mountGraph?: boolean; managementGroups?: { id: string; parent?: string; subscriptions?: string[] }[] } = {}): Promise<ArmHarness> {
  const lapis = await startTestLapis({ config });
  const node = lapis.node;
  const dir = node.identity.directory;
  const access = new AccessControl({
    store: openMemoryStore(), resolvePrincipal: directoryPrincipalResolver(dir), tenantId: lapis.ready.tenantId,
    scopeTree: { managementGroups: opts.managementGroups, subscriptions: [lapis.ready.subscriptionId] },
  });
  await access.load();
  const admin = node.bootstrapAdmin;
  if (!admin) throw new Error('expected a first start with a bootstrap administrator');
  const adminPrincipalId = dir.servicePrincipal(admin.appId)!.id;
  const hostPrincipalId = lapis.ready.managedIdentity.systemAssigned.objectId;
  await access.ensureBootstrapAssignments([hostPrincipalId, adminPrincipalId]);

  const app = Fastify({ logger: false });
  await app.register(async (scope) => armRoutes(scope, { access, identity: node.identity }));
  if (opts.mountGraph) await app.register(async (scope) => graphRoutes(scope, node.identity));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    lapis, access, app, url, hostPrincipalId, adminPrincipalId,
    adminCredential: credential(lapis, admin.appId, admin.secretText),
    async stop() {
      await app.close();
      await lapis.stop();
    },
  };
}

export function credential(lapis: TestLapis, appId: string, secret: string): ClientSecretCredential {
  return new ClientSecretCredential(lapis.ready.tenantId, appId, secret, { authorityHost: lapis.ready.authorityHost, disableInstanceDiscovery: true });
}

/** The host's managed identity through the App Service protocol (what the CLI uses). */
export async function miToken(lapis: TestLapis, resource = ARM): Promise<string> {
  const mi = lapis.ready.managedIdentity;
  const res = await fetch(`${mi.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(resource)}`, { headers: { 'X-IDENTITY-HEADER': mi.identityHeader } });
  const body = await res.json() as { access_token?: string };
  if (!res.ok || !body.access_token) throw new Error(`MI endpoint refused: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function appToken(cred: ClientSecretCredential, scope = `${ARM}/.default`): Promise<string> {
  const t = await cred.getToken(scope);
  if (!t) throw new Error('no token');
  return t.token;
}

export interface ArmResponse {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(url: string, method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<ArmResponse> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Path of a Microsoft.Authorization resource below a scope, with the api-version. */
export const authz = (scope: string, rest: string, query = '') => `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/${rest}?${API}${query}`;
