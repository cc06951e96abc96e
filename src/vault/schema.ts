/**
 * Config fragment for a `Microsoft.KeyVault/vaults` resource (ARM/Bicep property names; `secrets`
 * and `ports` are Lapis's additions: values a test must know in advance).
 */
import { z } from 'zod';
import { MAX_ACCESS_POLICIES, guidString, policyPermissionsSchema } from './access-policies.ts';

export const KEY_VAULT_TYPE = 'Microsoft.KeyVault/vaults';

/** Key Vault secret names: 1–127 letters, digits and dashes. */
export const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** Largest secret value Key Vault accepts (25 KiB). */
export const MAX_SECRET_VALUE = 25 * 1024;

const port = z.number().int().min(0).max(65535);

export const keyVaultSecretSchema = z.strictObject({
  name: z.string().regex(SECRET_NAME, 'expected a secret name: 1–127 letters, digits and dashes'),
  value: z.string().max(MAX_SECRET_VALUE, `a secret value is at most ${MAX_SECRET_VALUE} characters`),
  contentType: z.string().max(255).optional(),
  tags: z.record(z.string().max(512), z.string().max(256)).refine((t) => Object.keys(t).length <= 15, 'at most 15 tags').optional(),
});

/**
 * An access policy in the config: ARM's shape, except that the principal may be named as role
 * assignments name it (`principal`: display name, appId, object id, UPN, identity name, or
 * `{ systemAssignedIdentityOf }`) instead of `objectId`; `tenantId` defaults to the world's tenant.
 */
export const keyVaultAccessPolicySchema = z.strictObject({
  tenantId: guidString.optional(),
  objectId: guidString.optional(),
  principal: z.union([z.string().min(1).max(256), z.strictObject({ systemAssignedIdentityOf: z.string().min(1).max(63) })]).optional(),
  applicationId: guidString.optional(),
  permissions: policyPermissionsSchema,
}).refine((p) => (p.objectId === undefined) !== (p.principal === undefined), 'give exactly one of objectId and principal');

export const keyVaultResourceSchema = z.strictObject({
  type: z.literal(KEY_VAULT_TYPE),
  /** Vault names: 3–24 letters, digits and dashes, starting with a letter, no consecutive dashes. */
  name: z.string().regex(/^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$/, 'expected a vault name: 3–24 letters, digits and dashes, starting with a letter, ending with a letter or digit, no "--"'),
  resourceGroup: z.string().min(1).max(90).regex(/^[-\w._()]+$/, 'expected a resource group name (letters, digits, - _ . ( ))'),
  subscriptionId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected a GUID').optional(),
  location: z.string().max(64).optional(),
  ports: z.strictObject({ https: port.optional(), http: port.optional() }).optional(),
  properties: z.strictObject({
    /** true (the default here): Azure RBAC; false: the vault's access policies decide. */
    enableRbacAuthorization: z.boolean().optional(),
    accessPolicies: z.array(keyVaultAccessPolicySchema).max(MAX_ACCESS_POLICIES, `a vault has at most ${MAX_ACCESS_POLICIES} access policies`).optional(),
    softDeleteRetentionInDays: z.number().int().min(7).max(90).optional(),
    enableSoftDelete: z.literal(true, { message: 'soft delete cannot be turned off (as in Azure since 2020)' }).optional(),
    tenantId: z.string().optional(),
    sku: z.strictObject({ family: z.literal('A'), name: z.enum(['standard', 'premium']) }).optional(),
  }).optional(),
  secrets: z.array(keyVaultSecretSchema).max(1000)
    .refine((s) => new Set(s.map((x) => x.name.toLowerCase())).size === s.length, 'a secret name is declared twice (names are case-insensitive)').optional(),
});

export type KeyVaultResourceConfig = z.infer<typeof keyVaultResourceSchema>;
export type DeclaredSecret = z.infer<typeof keyVaultSecretSchema>;
export type DeclaredAccessPolicy = z.infer<typeof keyVaultAccessPolicySchema>;

export function keyVaultId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.KeyVault/vaults/${name}`;
}
