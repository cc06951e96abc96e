// Shared by the Web PubSub management API tests: a full Lapis from `startTestLapis` whose main origin
// serves the ARM-shaped Microsoft.SignalRService API, and callers with and without roles.
import { ClientSecretCredential } from '@azure/identity';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { TestLapis } from '../helpers/lapis.ts';
import { appToken, call, miToken, type ArmResponse } from '../access/arm-harness.ts';

export const API = 'api-version=2024-03-01';
export const RG = 'rg-1';
export const READER = { displayName: 'reader-app', appId: '5c0a1d2e-0000-4000-8000-00000000c001', secret: 'reader-secret-0123456789abcdef' };
/** Has the data-plane role Web PubSub Service Owner (no control-plane role). */
export const DATA_OWNER = { displayName: 'data-owner-app', appId: '5c0a1d2e-0000-4000-8000-00000000c003', secret: 'dataowner-secret-0123456789abcdef' };
export const NOBODY = { displayName: 'nobody-app', appId: '5c0a1d2e-0000-4000-8000-00000000c002', secret: 'nobody-secret-0123456789abcdef' };

export const uamiId = (sub: string, name: string) => `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;

/** A world with two user-assigned identities, an app the upstream tokens are for, a Reader and a principal with no role. */
export function world(tenantId: string, subscriptionId: string, resources: object[]): object {
  return {
    tenantId, subscriptionId,
    applications: [
      { displayName: 'upstream-api', identifierUris: ['api://upstream'] },
      { displayName: READER.displayName, appId: READER.appId, passwordCredentials: [{ secretText: READER.secret }] },
      { displayName: NOBODY.displayName, appId: NOBODY.appId, passwordCredentials: [{ secretText: NOBODY.secret }] },
      { displayName: DATA_OWNER.displayName, appId: DATA_OWNER.appId, passwordCredentials: [{ secretText: DATA_OWNER.secret }] },
    ],
    userAssignedIdentities: [{ name: 'uami-1', resourceGroup: RG }, { name: 'uami-2', resourceGroup: RG }],
    resources,
    roleAssignments: [
      { principal: READER.displayName, roleDefinitionName: 'Reader', scope: `/subscriptions/${subscriptionId}/resourceGroups/${RG}` },
      { principal: DATA_OWNER.displayName, roleDefinitionName: 'Web PubSub Service Owner', scope: `/subscriptions/${subscriptionId}/resourceGroups/${RG}` },
    ],
  };
}

export class Arm {
  readonly lapis: TestLapis;
  constructor(lapis: TestLapis) {
    this.lapis = lapis;
  }

  get sub(): string {
    return this.lapis.ready.subscriptionId;
  }

  /** `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.SignalRService/webPubSub/{name}{rest}?api-version=2024-03-01` */
  path(name: string, rest = '', rg = RG, query = API): string {
    return `/subscriptions/${this.sub}/resourceGroups/${rg}/providers/Microsoft.SignalRService/webPubSub/${name}${rest}?${query}`;
  }

  id(name: string): string {
    return `/subscriptions/${this.sub}/resourceGroups/${RG}/providers/Microsoft.SignalRService/webPubSub/${name}`;
  }

  /** The host's managed identity: Owner at `/` (what the CLI uses). */
  async admin(method: string, path: string, body?: unknown): Promise<ArmResponse> {
    return call(this.lapis.ready.managementEndpoint, method, path, await miToken(this.lapis), body);
  }

  async as(app: { appId: string; secret: string }, method: string, path: string, body?: unknown): Promise<ArmResponse> {
    const cred = new ClientSecretCredential(this.lapis.ready.tenantId, app.appId, app.secret, { authorityHost: this.lapis.ready.authorityHost, disableInstanceDiscovery: true });
    return call(this.lapis.ready.managementEndpoint, method, path, await appToken(cred), body);
  }

  anonymous(method: string, path: string, body?: unknown): Promise<ArmResponse> {
    return call(this.lapis.ready.managementEndpoint, method, path, undefined, body);
  }
}

/** What an upstream does with the bearer token: the tenant's discovery document, its JWKS, the audience, RS256. */
export async function verifyUpstreamToken(authorityHost: string, tenantId: string, token: string, audience: string): Promise<JWTPayload> {
  const meta = await (await fetch(`${authorityHost}/${tenantId}/.well-known/openid-configuration`)).json() as { issuer: string; jwks_uri: string };
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(meta.jwks_uri)), {
    issuer: meta.issuer, audience, algorithms: ['RS256'], clockTolerance: 300, requiredClaims: ['tid', 'oid', 'exp', 'nbf'],
  });
  if (payload.tid !== tenantId) throw new Error(`unexpected tenant ${String(payload.tid)}`);
  return payload;
}
