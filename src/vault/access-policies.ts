/**
 * Key Vault access policies (the permission model of a vault with `enableRbacAuthorization: false`),
 * in ARM's shape: `{ tenantId, objectId, applicationId?, permissions: { secrets, keys, certificates,
 * storage } }`. Lapis serves secrets only; the other arrays are validated and kept so that a GET →
 * PUT round trip loses nothing.
 *
 * Matching follows Key Vault: a policy applies to a token from its tenant whose `oid` is its
 * `objectId`; a policy with an `applicationId` (a "compound identity") applies only when that
 * application acts for that principal (`appid`/`azp` = applicationId). Every matching policy adds
 * its permissions.
 */
import { z } from 'zod';

/** Permission names per category, in Azure's spelling (matched case-insensitively). */
export const POLICY_PERMISSIONS = {
  secrets: ['get', 'list', 'set', 'delete', 'recover', 'backup', 'restore', 'purge', 'all'],
  keys: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'sign', 'verify', 'get', 'list', 'create', 'update', 'import', 'delete',
    'backup', 'restore', 'recover', 'purge', 'release', 'rotate', 'getrotationpolicy', 'setrotationpolicy', 'all'],
  certificates: ['get', 'list', 'delete', 'create', 'import', 'update', 'managecontacts', 'getissuers', 'listissuers', 'setissuers',
    'deleteissuers', 'manageissuers', 'recover', 'purge', 'backup', 'restore', 'all'],
  storage: ['get', 'list', 'delete', 'set', 'update', 'regeneratekey', 'getsas', 'listsas', 'deletesas', 'setsas', 'recover', 'backup', 'restore', 'purge', 'all'],
} as const;
export type PermissionCategory = keyof typeof POLICY_PERMISSIONS;
export type SecretPermission = (typeof POLICY_PERMISSIONS.secrets)[number];
const CATEGORIES = Object.keys(POLICY_PERMISSIONS) as PermissionCategory[];

/** Azure's limit on policies per vault. */
export const MAX_ACCESS_POLICIES = 1024;

export interface AccessPolicyEntry {
  tenantId: string;
  objectId: string;
  applicationId?: string | undefined;
  permissions: Partial<Record<PermissionCategory, string[]>>;
}

/** How a vault authorises data-plane calls; read on every call, so a change applies to the next one. */
export interface VaultPermissionModel {
  enableRbacAuthorization: boolean;
  accessPolicies: readonly AccessPolicyEntry[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const guidString = z.string().regex(GUID, 'expected a GUID');

/** One permission name of a category, given in any casing; stored in Azure's spelling. */
const permissionList = (category: PermissionCategory) => z.array(z.string().max(40)).max(64).nullish()
  .transform((list, ctx) => {
    const out: string[] = [];
    for (const [i, p] of (list ?? []).entries()) {
      const known = POLICY_PERMISSIONS[category].find((k) => k.toLowerCase() === p.toLowerCase());
      if (!known) {
        ctx.addIssue({ code: 'custom', path: [i], message: `'${p.slice(0, 40)}' is not a ${category} permission (expected one of ${POLICY_PERMISSIONS[category].join(', ')})` });
        continue;
      }
      if (!out.includes(known)) out.push(known);
    }
    return out;
  });

export const policyPermissionsSchema = z.object({
  secrets: permissionList('secrets'),
  keys: permissionList('keys'),
  certificates: permissionList('certificates'),
  storage: permissionList('storage'),
}).strict();

/** A policy as ARM takes it (objectId required). */
export const accessPolicySchema = z.object({
  tenantId: guidString,
  objectId: guidString,
  applicationId: guidString.nullish(),
  permissions: policyPermissionsSchema,
}).strict();

export const accessPolicyListSchema = z.array(accessPolicySchema).max(MAX_ACCESS_POLICIES, `a vault has at most ${MAX_ACCESS_POLICIES} access policies`);

/** Normalises a parsed policy: lower-case GUIDs, empty categories dropped. */
export function normalisePolicy(p: { tenantId: string; objectId: string; applicationId?: string | null | undefined; permissions: Partial<Record<PermissionCategory, string[] | undefined>> }): AccessPolicyEntry {
  const permissions: Partial<Record<PermissionCategory, string[]>> = {};
  for (const c of CATEGORIES) if (p.permissions[c]?.length) permissions[c] = [...p.permissions[c]!];
  return {
    tenantId: p.tenantId.toLowerCase(),
    objectId: p.objectId.toLowerCase(),
    ...(p.applicationId ? { applicationId: p.applicationId.toLowerCase() } : {}),
    permissions,
  };
}

const sameIdentity = (a: AccessPolicyEntry, b: AccessPolicyEntry) =>
  a.tenantId === b.tenantId && a.objectId === b.objectId && (a.applicationId ?? '') === (b.applicationId ?? '');

/**
 * ARM's `accessPolicies/{add|replace|remove}`: `add` merges permissions into the entry of the same
 * (tenantId, objectId, applicationId) or appends one; `remove` takes the listed permissions away
 * (an entry left with none is dropped); `replace` sets the whole list. Throws past the limit.
 */
export function applyPolicyUpdate(current: readonly AccessPolicyEntry[], kind: 'add' | 'replace' | 'remove', changes: readonly AccessPolicyEntry[]): AccessPolicyEntry[] {
  let next: AccessPolicyEntry[];
  if (kind === 'replace') {
    next = [];
    for (const c of changes) {
      const at = next.findIndex((p) => sameIdentity(p, c));
      if (at >= 0) next[at] = mergePermissions(next[at]!, c, 'add');
      else next.push(c);
    }
  } else {
    next = current.map((p) => ({ ...p, permissions: { ...p.permissions } }));
    for (const c of changes) {
      const at = next.findIndex((p) => sameIdentity(p, c));
      if (kind === 'add') {
        if (at >= 0) next[at] = mergePermissions(next[at]!, c, 'add');
        else next.push(c);
      } else if (at >= 0) {
        const left = mergePermissions(next[at]!, c, 'remove');
        if (CATEGORIES.some((cat) => left.permissions[cat]?.length)) next[at] = left;
        else next.splice(at, 1);
      }
    }
  }
  if (next.length > MAX_ACCESS_POLICIES) throw new RangeError(`a vault has at most ${MAX_ACCESS_POLICIES} access policies`);
  return next;
}

function mergePermissions(into: AccessPolicyEntry, from: AccessPolicyEntry, how: 'add' | 'remove'): AccessPolicyEntry {
  const permissions: Partial<Record<PermissionCategory, string[]>> = {};
  for (const c of CATEGORIES) {
    const have = into.permissions[c] ?? [];
    const given = from.permissions[c] ?? [];
    const list = how === 'add' ? [...have, ...given.filter((g) => !have.includes(g))] : have.filter((h) => !given.includes(h));
    if (list.length) permissions[c] = list;
  }
  return { ...into, permissions };
}

/** The caller as Key Vault's policy check sees it (from the verified token). */
export interface PolicyCaller {
  tenantId: string;
  objectId: string;
  /** `appid` (v1) or `azp` (v2) of the token, if any. */
  appId?: string | undefined;
}

/** Whether the policies grant the caller this secrets permission (`all` grants every one). */
export function policiesGrant(policies: readonly AccessPolicyEntry[], caller: PolicyCaller, permission: SecretPermission): boolean {
  const tid = caller.tenantId.toLowerCase();
  const oid = caller.objectId.toLowerCase();
  const appid = caller.appId?.toLowerCase();
  return policies.some((p) => p.tenantId === tid && p.objectId === oid
    && (p.applicationId === undefined || p.applicationId === appid)
    && (p.permissions.secrets ?? []).some((s) => s === permission || s === 'all'));
}
