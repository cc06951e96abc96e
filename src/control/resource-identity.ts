import type { Directory } from '../identity/index.ts';
import type { ResourceIdentity } from './resources.ts';

/**
 * A Web PubSub resource's managed identity, shared by the config (world.ts) and the management API:
 * `None`, `SystemAssigned`, or `UserAssigned` with exactly one identity — never both, never two
 * (Azure: "Azure Web PubSub can support only one managed identity"). The system identity's service
 * principal lives and dies with the setting.
 */
export class ResourceIdentityError extends Error {
  /** ARM error code. */
  readonly code: string;
  /** Where in the `identity` object the problem is: `type` or `userAssignedIdentities`. */
  readonly field: 'type' | 'userAssignedIdentities';
  constructor(code: string, field: 'type' | 'userAssignedIdentities', message: string) {
    super(message);
    this.name = 'ResourceIdentityError';
    this.code = code;
    this.field = field;
  }
}

const ONLY_ONE = 'Azure Web PubSub supports only one managed identity: either the system-assigned identity or one user-assigned identity.';

/** The ARM / Bicep `identity` object as sent (type strings are matched case-insensitively, as ARM does). */
export interface ArmIdentityInput {
  type?: unknown;
  userAssignedIdentities?: unknown;
}

/** Reads ARM's `identity` into the stored form, enforcing the one-identity rule. */
export function parseArmIdentity(input: ArmIdentityInput): ResourceIdentity {
  const raw = typeof input.type === 'string' ? input.type.trim() : '';
  const parts = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const uais = input.userAssignedIdentities;
  if (uais !== undefined && uais !== null && (typeof uais !== 'object' || Array.isArray(uais))) {
    throw new ResourceIdentityError('InvalidIdentity', 'userAssignedIdentities', "'userAssignedIdentities' must be an object whose keys are user-assigned identity resource ids.");
  }
  const refs = uais ? Object.keys(uais as object) : [];
  if (parts.length > 1) {
    if (parts.every((p) => p === 'systemassigned' || p === 'userassigned')) {
      throw new ResourceIdentityError('InvalidIdentityType', 'type', `${ONLY_ONE} Identity type '${raw.slice(0, 60)}' is not supported.`);
    }
  }
  const TYPES: Record<string, ResourceIdentity['type']> = { none: 'None', systemassigned: 'SystemAssigned', userassigned: 'UserAssigned' };
  const type = parts.length === 1 ? TYPES[parts[0]!] : undefined;
  if (!type) {
    throw new ResourceIdentityError('InvalidIdentityType', 'type', `Identity type '${raw.slice(0, 60)}' is not supported. Supported types are 'None', 'SystemAssigned' and 'UserAssigned'.`);
  }
  if (type !== 'UserAssigned') {
    if (refs.length) throw new ResourceIdentityError('InvalidIdentity', 'userAssignedIdentities', `${ONLY_ONE} 'userAssignedIdentities' must be empty when the identity type is '${type}'.`);
    return { type };
  }
  if (refs.length === 0) throw new ResourceIdentityError('InvalidIdentity', 'userAssignedIdentities', "The identity type is 'UserAssigned' but 'userAssignedIdentities' is empty: give the resource id of one user-assigned identity.");
  if (refs.length > 1) throw new ResourceIdentityError('InvalidIdentity', 'userAssignedIdentities', `${ONLY_ONE} ${refs.length} user-assigned identities were given.`);
  return { type, userAssignedIdentity: refs[0]! };
}

/**
 * Makes the directory match the wanted identity of a resource and returns the identity to store.
 * Checks first, then changes: a user-assigned identity that does not exist leaves everything as
 * it was. Switching to SystemAssigned creates the system identity and its service principal
 * (kept if it already exists); switching away deletes them.
 */
export async function applyResourceIdentity(dir: Directory, resource: { id: string; name: string; tenantId: string }, want: ResourceIdentity): Promise<ResourceIdentity> {
  let result: ResourceIdentity = { type: 'None' };
  if (want.type === 'UserAssigned') {
    const ref = want.userAssignedIdentity ?? '';
    const mi = ref ? dir.findManagedIdentity({ resourceId: ref }) : undefined;
    if (!mi || mi.type !== 'UserAssigned') {
      throw new ResourceIdentityError('InvalidUserAssignedIdentity', 'userAssignedIdentities',
        `The user-assigned identity '${ref.slice(0, 300)}' was not found: it must be the resource id of an existing Microsoft.ManagedIdentity/userAssignedIdentities (created with az identity create or the portal, or declared in the config).`);
    }
    result = { type: 'UserAssigned', userAssignedIdentity: mi.resourceId };
  }
  if (want.type === 'SystemAssigned') {
    await dir.ensureManagedIdentity({ type: 'SystemAssigned', resourceId: resource.id, name: resource.name, tenantId: resource.tenantId });
    return { type: 'SystemAssigned' };
  }
  await dir.deleteManagedIdentity(resource.id);
  return result;
}
