import { z } from 'zod';
import { LOCAL_ADVERTISE, type Advertise } from './service-kind.ts';
import type { AccessControl } from '../../access/index.ts';
import {
  accessPolicyListSchema, applyPolicyUpdate, normalisePolicy, type AccessPolicyEntry,
} from '../../vault/index.ts';
import type { ResourceRegistry, VaultRecord } from '../resources.ts';
import { ARM, ArmError } from './errors.ts';
import { readProviderPath } from './provider-path.ts';
import type { ServiceRequest as SignalRServiceRequest } from './service-kind.ts';

/**
 * The ARM-shaped Microsoft.KeyVault API for vaults, as far as Lapis vaults go: reading them and
 * changing how they authorise data-plane calls.
 *
 *   GET   /subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.KeyVault/vaults
 *   GET|PUT|PATCH  …/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}
 *   PUT   …/vaults/{name}/accessPolicies/{add|replace|remove}
 *
 * Authorised by RBAC on Microsoft.KeyVault Actions at the vault's scope before the vault is looked
 * up, as ARM does. A change applies to the vault's next data-plane call.
 */
export const KEYVAULT_API_VERSIONS = [
  '2016-10-01', '2018-02-14', '2019-09-01', '2021-04-01-preview', '2021-06-01-preview', '2021-10-01', '2021-11-01-preview',
  '2022-02-01-preview', '2022-07-01', '2022-11-01', '2023-02-01', '2023-07-01', '2023-08-01-preview', '2024-04-01-preview',
  '2024-11-01', '2024-12-01-preview', '2025-05-01',
] as const;

export const KV_ACTION = {
  read: 'Microsoft.KeyVault/vaults/read',
  write: 'Microsoft.KeyVault/vaults/write',
  accessPoliciesWrite: 'Microsoft.KeyVault/vaults/accessPolicies/write',
} as const;

export type KeyVaultRequest = SignalRServiceRequest;

const E = {
  noProvider: (version: string, type: string) => new ArmError(400, 'NoRegisteredProviderFound',
    `No registered resource provider found for API version '${version.slice(0, 40)}' and type '${type.slice(0, 60)}'. The supported api-versions are '${KEYVAULT_API_VERSIONS.join(', ')}'.`),
  invalidResourceType: (type: string, version: string) => new ArmError(404, 'InvalidResourceType',
    `The resource type '${type.slice(0, 100)}' could not be found in the namespace 'Microsoft.KeyVault' for api version '${version.slice(0, 40)}'.`),
  resourceNotFound: (rg: string, name: string) => new ArmError(404, 'ResourceNotFound',
    `The Resource 'Microsoft.KeyVault/vaults/${name.slice(0, 100)}' under resource group '${rg.slice(0, 90)}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`),
  createNotSupported: (name: string) => new ArmError(409, 'OperationNotSupported',
    `Creating the vault '${name.slice(0, 100)}' at run time is not supported by this version of Lapis: declare it in the config file and restart.`),
  badPolicyKind: (kind: string) => new ArmError(400, 'BadRequest', `The access policy update kind '${kind.slice(0, 40)}' is invalid: expected add, replace or remove.`),
  badRequest: (message: string) => new ArmError(400, 'BadRequest', message),
} as const;

/** Writable vault properties Lapis honours; the rest must say what Lapis does anyway (GET → PUT round trips). */
const onlyValue = <T>(value: T, why: string) => z.unknown().refine((v) => v === undefined || v === null || JSON.stringify(v) === JSON.stringify(value), why).optional();
const READ_ONLY = ['vaultUri', 'provisioningState', 'hsmPoolResourceId', 'privateEndpointConnections', 'sku', 'tenantId', 'softDeleteRetentionInDays', 'networkAcls', 'createMode'] as const;
const vaultProperties = z.strictObject({
  enableRbacAuthorization: z.boolean().nullish(),
  accessPolicies: z.unknown().optional(),
  enableSoftDelete: onlyValue(true, 'soft delete cannot be turned off (as in Azure)'),
  enablePurgeProtection: onlyValue(false, 'purge protection is not supported by this version of Lapis'),
  enabledForDeployment: onlyValue(false, 'not supported by this version of Lapis'),
  enabledForDiskEncryption: onlyValue(false, 'not supported by this version of Lapis'),
  enabledForTemplateDeployment: onlyValue(false, 'not supported by this version of Lapis'),
  publicNetworkAccess: onlyValue('Enabled', "only 'Enabled' is supported by this version of Lapis"),
  ...Object.fromEntries(READ_ONLY.map((k) => [k, z.unknown().optional()])),
});
const vaultBody = z.looseObject({ location: z.string().max(64).nullish(), tags: z.unknown().optional(), properties: vaultProperties.nullish() });
const policyBody = z.looseObject({ properties: z.looseObject({ accessPolicies: z.unknown() }) });

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  throw ARM.badRequest(`${first.path.map(String).join('.') || 'body'}: ${first.message}`);
}

/** ARM's policy list, validated as Azure does (GUIDs, known permission names in any casing, at most 1024). */
function parsePolicies(value: unknown, at: string): AccessPolicyEntry[] {
  const r = accessPolicyListSchema.safeParse(value ?? []);
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw E.badRequest(`Invalid value at '${[at, ...first.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].join('.').replace(/\.\[/g, '[')}': ${first.message}`);
  }
  return r.data.map(normalisePolicy);
}

/** ARM JSON of one policy. */
export function accessPolicyJson(p: AccessPolicyEntry) {
  return { tenantId: p.tenantId, objectId: p.objectId, ...(p.applicationId ? { applicationId: p.applicationId } : {}), permissions: { ...p.permissions } };
}

/** ARM JSON of a vault. */
export function vaultJson(v: VaultRecord, adv: Advertise = LOCAL_ADVERTISE) {
  return {
    id: v.id,
    name: v.name,
    type: 'Microsoft.KeyVault/vaults',
    location: v.location,
    tags: {},
    properties: {
      sku: { family: 'A', name: 'standard' },
      tenantId: v.tenantId,
      accessPolicies: (v.properties?.accessPolicies ?? []).map(accessPolicyJson),
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableSoftDelete: true,
      softDeleteRetentionInDays: v.properties?.softDeleteRetentionInDays ?? 90,
      enableRbacAuthorization: v.properties?.enableRbacAuthorization ?? true,
      vaultUri: v.ports.https ? `https://${adv.host}:${adv.port(v.ports.https)}/` : null,
      provisioningState: 'Succeeded',
      publicNetworkAccess: 'Enabled',
    },
  };
}

/** True for paths in the Microsoft.KeyVault namespace (below a subscription or resource group). */
export function isKeyVaultPath(segs: string[]): boolean {
  const lower = segs.map((s) => s.toLowerCase());
  if (lower[0] !== 'subscriptions' || lower.includes('microsoft.authorization')) return false;
  return (lower[2] === 'providers' && lower[3] === 'microsoft.keyvault')
    || (lower[2] === 'resourcegroups' && lower[4] === 'providers' && lower[5] === 'microsoft.keyvault');
}

export function keyVaultArm(deps: { access: AccessControl; resources: ResourceRegistry; advertise?: Advertise | undefined }) {
  const { access, resources } = deps;
  let queue: Promise<unknown> = Promise.resolve();
  /** Writes are serialised: two concurrent `add`s must both land. */
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const authorize = (x: KeyVaultRequest, action: string, scope: string): void => {
    if (!access.check({ principalId: x.caller.principalId, scope, action })) throw ARM.authorizationFailed(x.caller.clientName, x.caller.principalId, action, scope);
  };
  const find = (sub: string, rg: string, name: string): VaultRecord => {
    const v = resources.getVault(name);
    if (!v || v.subscriptionId !== sub || v.resourceGroup.toLowerCase() !== rg.toLowerCase()) throw E.resourceNotFound(rg, name);
    return v;
  };

  async function handle(x: KeyVaultRequest): Promise<unknown> {
    const { segs, method } = x;
    const { subscription: subLower, resourceGroup: rg, rest, type, version } = readProviderPath(x);
    if (type.toLowerCase() !== 'vaults') throw E.invalidResourceType(type, version);
    if (!(KEYVAULT_API_VERSIONS as readonly string[]).includes(version)) throw E.noProvider(version, type);
    const scopeBase = `/subscriptions/${subLower}${rg ? `/resourceGroups/${rg}` : ''}`;

    if (rest.length === 1) {
      if (method !== 'GET') throw ARM.methodNotAllowed(method);
      // Filtered to what the caller may read, as in service-resource.ts.
      const atBase = access.check({ principalId: x.caller.principalId, scope: scopeBase, action: KV_ACTION.read });
      const list = resources.vaults().filter((v) => v.subscriptionId === subLower && (!rg || v.resourceGroup.toLowerCase() === rg.toLowerCase()))
        .filter((v) => atBase || access.check({ principalId: x.caller.principalId, scope: `/subscriptions/${subLower}/resourceGroups/${v.resourceGroup}/providers/Microsoft.KeyVault/vaults/${v.name}`, action: KV_ACTION.read }));
      if (!atBase && list.length === 0) authorize(x, KV_ACTION.read, scopeBase);
      return { value: list.sort((a, b) => a.name.localeCompare(b.name)).map((v) => vaultJson(v, deps.advertise)), nextLink: null };
    }
    if (!rg) throw ARM.notFound(x.path);
    const name = rest[1]!;
    const id = `${scopeBase}/providers/Microsoft.KeyVault/vaults/${name}`;
    if (rest.length === 2) {
      if (method === 'GET') {
        authorize(x, KV_ACTION.read, id);
        return vaultJson(find(subLower, rg, name), deps.advertise);
      }
      if (method !== 'PUT' && method !== 'PATCH') throw ARM.methodNotAllowed(method);
      authorize(x, KV_ACTION.write, id);
      const body = parse(vaultBody, x.req.body);
      if (method === 'PUT' && !resources.getVault(name)) throw E.createNotSupported(name);
      const p = body.properties ?? {};
      const policies = p.accessPolicies === undefined || p.accessPolicies === null ? undefined : parsePolicies(p.accessPolicies, 'properties.accessPolicies');
      return exclusive(async () => {
        find(subLower, rg, name);
        // Compare-and-swap on what is stored now: a policy added through another node meanwhile is kept.
        const next = await resources.updateVault(name, (v) => ({
          ...v,
          properties: {
            ...v.properties,
            enableRbacAuthorization: p.enableRbacAuthorization ?? v.properties?.enableRbacAuthorization ?? true,
            accessPolicies: policies ?? v.properties?.accessPolicies ?? [],
          },
        }));
        if (!next) throw E.resourceNotFound(rg, name);
        return vaultJson(next, deps.advertise);
      });
    }
    if (rest.length === 4 && rest[2]!.toLowerCase() === 'accesspolicies') {
      const kind = rest[3]!.toLowerCase();
      if (kind !== 'add' && kind !== 'replace' && kind !== 'remove') throw E.badPolicyKind(rest[3]!);
      if (method !== 'PUT') throw ARM.methodNotAllowed(method);
      authorize(x, KV_ACTION.accessPoliciesWrite, id);
      const changes = parsePolicies(parse(policyBody, x.req.body).properties.accessPolicies, 'properties.accessPolicies');
      return exclusive(async () => {
        const v = find(subLower, rg, name);
        // Compare-and-swap: two `add`s through two nodes at once both land.
        await resources.updateVault(name, (cur) => {
          let accessPolicies: AccessPolicyEntry[];
          try {
            accessPolicies = applyPolicyUpdate(cur.properties?.accessPolicies ?? [], kind, changes);
          } catch (err) {
            if (err instanceof RangeError) throw E.badRequest(`${err.message}.`);
            throw err;
          }
          return { ...cur, properties: { ...cur.properties, enableRbacAuthorization: cur.properties?.enableRbacAuthorization ?? true, accessPolicies } };
        });
        return {
          id: `${v.id}/accessPolicies/${kind}`, name: kind, type: 'Microsoft.KeyVault/vaults/accessPolicies', location: v.location,
          properties: { accessPolicies: changes.map(accessPolicyJson) },
        };
      });
    }
    throw ARM.notFound(x.path);
  }

  return { handle };
}
