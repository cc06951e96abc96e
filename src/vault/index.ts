/**
 * Key Vault–compatible secrets for `Microsoft.KeyVault/vaults` resources. Wiring, per vault:
 *
 *   const vault = new VaultService({ name, resourceId, tenantId, vaultUri: () => httpsOrigin, store,
 *     verifier: identity.verifier, authorityHost: identity.issuer.authorityHost, authorize,
 *     permissionModel: () => ({ enableRbacAuthorization, accessPolicies }), log });
 *   vault.mount(httpsListener.app);                 // HTTPS only: the SDK sends bearer tokens
 *   await vault.applyDeclaredSecrets(config.secrets ?? []);
 *   vault.onSecretChanged(() => upstream.keyVaultChanged(httpsOrigin));   // for each Web PubSub resource
 *   …on stop: await vault.close();
 */
export { VaultService } from './service.ts';
export { SECRET_ACTIONS, SECRET_OPERATIONS } from './auth.ts';
export type { AuthorizeFn, VaultContext } from './context.ts';
export {
  keyVaultResourceSchema, keyVaultSecretSchema, keyVaultAccessPolicySchema, keyVaultId, KEY_VAULT_TYPE, SECRET_NAME, MAX_SECRET_VALUE,
} from './schema.ts';
export type { DeclaredSecret, DeclaredAccessPolicy, KeyVaultResourceConfig } from './schema.ts';
export {
  accessPolicySchema, accessPolicyListSchema, applyPolicyUpdate, normalisePolicy, policiesGrant,
  MAX_ACCESS_POLICIES, POLICY_PERMISSIONS,
} from './access-policies.ts';
export type { AccessPolicyEntry, VaultPermissionModel, PermissionCategory } from './access-policies.ts';
export { VaultError, KV, VAULT_RESOURCE } from './errors.ts';
export { MAX_VERSIONS, MAX_SECRETS } from './secrets.ts';
