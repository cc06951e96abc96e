import { z } from 'zod';
import type { AccessControl } from '../../access/index.ts';
import type { IdentityService, ManagedIdentity } from '../../identity/index.ts';
import { ARM, ArmError } from './errors.ts';
import { readProviderPath } from './provider-path.ts';
import type { ServiceRequest } from './service-kind.ts';

/**
 * The ARM-shaped Microsoft.ManagedIdentity API for user-assigned identities (what `az identity`
 * and the portal's Managed Identities blade call):
 *
 *   GET                  /subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.ManagedIdentity/userAssignedIdentities
 *   GET|PUT|PATCH|DELETE /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}
 *
 * An identity is a directory record with its service principal (so it gets tokens from the
 * managed-identity endpoints and can hold role assignments), persisted in the store like apps.
 * Authorised by RBAC before anything is looked up, as ARM does. Deleting an identity a resource
 * still uses is allowed, as in Azure: the resource keeps the reference and its tokens then fail.
 */
export const MSI_API_VERSIONS = [
  '2015-08-31-preview', '2018-11-30', '2021-09-30-preview', '2022-01-31-preview', '2023-01-31', '2023-07-31-preview',
  '2024-11-30', '2025-01-31-preview',
] as const;

export const MSI_ACTION = {
  read: 'Microsoft.ManagedIdentity/userAssignedIdentities/read',
  write: 'Microsoft.ManagedIdentity/userAssignedIdentities/write',
  delete: 'Microsoft.ManagedIdentity/userAssignedIdentities/delete',
} as const;

const TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';
const NAME = /^[A-Za-z0-9][-\w]{2,127}$/;

export const MSI_ERROR = {
  invalidName: (name: string) => new ArmError(400, 'InvalidResourceName',
    `The resource name '${name.slice(0, 130)}' is invalid. A user-assigned identity name is 3–128 letters, digits, hyphens or underscores and starts with a letter or digit.`),
  notFound: (rg: string, name: string) => ARM.resourceNotFound(rg, TYPE, name),
} as const;

const tagsSchema = z.record(z.string().min(1).max(512), z.string().max(256)).refine((t) => Object.keys(t).length <= 50, 'at most 50 tags').nullish();
const putBody = z.looseObject({
  location: z.string().max(64).nullish(),
  tags: tagsSchema,
  properties: z.looseObject({ isolationScope: z.enum(['None', 'Regional']).nullish() }).nullish(),
});
const patchBody = z.looseObject({ location: z.string().max(64).nullish(), tags: tagsSchema });

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  throw ARM.badRequest(`${first.path.map(String).join('.') || 'body'}: ${first.message}`);
}

/** ARM JSON of a user-assigned identity. */
export function userAssignedIdentityJson(m: ManagedIdentity) {
  return {
    id: m.resourceId,
    name: m.name,
    type: TYPE,
    location: m.location ?? 'local',
    tags: m.tags ?? {},
    properties: { tenantId: m.tenantId, principalId: m.principalId, clientId: m.clientId },
  };
}

/** True for paths in the Microsoft.ManagedIdentity namespace (below a subscription or resource group). */
export function isManagedIdentityPath(segs: string[]): boolean {
  const lower = segs.map((s) => s.toLowerCase());
  if (lower[0] !== 'subscriptions' || lower.includes('microsoft.authorization')) return false;
  return (lower[2] === 'providers' && lower[3] === 'microsoft.managedidentity')
    || (lower[2] === 'resourcegroups' && lower[4] === 'providers' && lower[5] === 'microsoft.managedidentity');
}

export function managedIdentityArm(deps: { access: AccessControl; identity: IdentityService }) {
  const { access } = deps;
  const dir = deps.identity.directory;
  const authorize = (x: ServiceRequest, action: string, scope: string): void => {
    if (!access.check({ principalId: x.caller.principalId, scope, action })) throw ARM.authorizationFailed(x.caller.clientName, x.caller.principalId, action, scope);
  };
  const userAssigned = () => dir.managedIdentities().filter((m) => m.type === 'UserAssigned');

  async function handle(x: ServiceRequest): Promise<unknown> {
    const { method } = x;
    const { subscription: sub, resourceGroup: rg, rest, type, version } = readProviderPath(x);
    if (type.toLowerCase() !== 'userassignedidentities') throw ARM.invalidResourceType(type, version, 'Microsoft.ManagedIdentity');
    if (!(MSI_API_VERSIONS as readonly string[]).includes(version)) throw ARM.noProvider(version, type, MSI_API_VERSIONS);
    const scopeBase = `/subscriptions/${sub}${rg ? `/resourceGroups/${rg}` : ''}`;

    if (rest.length === 1) {
      if (method !== 'GET') throw ARM.methodNotAllowed(method);
      authorize(x, MSI_ACTION.read, scopeBase);
      const prefix = `${scopeBase}/`.toLowerCase();
      const list = userAssigned().filter((m) => m.resourceId.toLowerCase().startsWith(prefix));
      return { value: list.sort((a, b) => a.name.localeCompare(b.name)).map(userAssignedIdentityJson), nextLink: null };
    }
    if (!rg || rest.length !== 2) throw ARM.notFound(x.path);
    const name = rest[1]!;
    const id = `${scopeBase}/providers/${TYPE}/${name}`;
    const find = () => {
      const m = dir.findManagedIdentity({ resourceId: id });
      return m?.type === 'UserAssigned' ? m : undefined;
    };
    switch (method) {
      case 'GET': {
        authorize(x, MSI_ACTION.read, id);
        const m = find();
        if (!m) throw MSI_ERROR.notFound(rg, name);
        return userAssignedIdentityJson(m);
      }
      case 'PUT': {
        if (!NAME.test(name)) throw MSI_ERROR.invalidName(name);
        authorize(x, MSI_ACTION.write, id);
        if (!access.scopeTree.hasSubscription(sub)) throw ARM.subscriptionNotFound(sub);
        const body = parse(putBody, x.req.body);
        const location = body.location?.trim();
        if (!location) throw ARM.locationRequired();
        const prior = find();
        if (prior?.location && prior.location.toLowerCase() !== location.toLowerCase()) throw ARM.locationChange(name, rg, prior.location, location);
        // The stored id keeps the names as first created (ARM ids are case-insensitive).
        const m = await dir.ensureManagedIdentity({
          type: 'UserAssigned', resourceId: prior?.resourceId ?? id, name: prior?.name ?? name, tenantId: dir.defaultTenant.id,
          location: prior?.location ?? location, tags: body.tags ?? {},
        });
        return x.reply.code(prior ? 200 : 201).send(userAssignedIdentityJson(m));
      }
      case 'PATCH': {
        authorize(x, MSI_ACTION.write, id);
        const body = parse(patchBody, x.req.body);
        const prior = find();
        if (!prior) throw MSI_ERROR.notFound(rg, name);
        const location = body.location?.trim();
        if (location && prior.location && prior.location.toLowerCase() !== location.toLowerCase()) throw ARM.locationChange(name, rg, prior.location, location);
        const m = await dir.ensureManagedIdentity({ ...prior, ...(body.tags ? { tags: body.tags } : {}) });
        return userAssignedIdentityJson(m);
      }
      case 'DELETE': {
        authorize(x, MSI_ACTION.delete, id);
        const prior = find();
        if (!prior) return x.reply.code(204).send();
        await dir.deleteManagedIdentity(prior.resourceId);
        return x.reply.code(200).send();
      }
      default:
        throw ARM.methodNotAllowed(method);
    }
  }

  return { handle };
}
