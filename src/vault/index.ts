/**
 * Key Vault–compatible secrets for `Microsoft.KeyVault/vaults` resources. Wiring, per vault:
 *
 *   const vault = new VaultService({ name, resourceId, tenantId, vaultUri: () => httpsOrigin, store,
 *     verifier: identity.verifier, authorityHost: identity.issuer.authorityHost, authorize, log });
 *   vault.mount(httpsListener.app);                 // HTTPS only: the SDK sends bearer tokens
 *   await vault.applyDeclaredSecrets(config.secrets ?? []);
 *   vault.onSecretChanged(() => upstream.keyVaultChanged(httpsOrigin));   // for each Web PubSub resource
 *   …on stop: await vault.close();
 */
export { VaultService, SECRET_ACTIONS } from './service.ts';
export type { AuthorizeFn, VaultContext } from './service.ts';
export { keyVaultResourceSchema, keyVaultSecretSchema, keyVaultId, KEY_VAULT_TYPE, SECRET_NAME, MAX_SECRET_VALUE } from './schema.ts';
export type { DeclaredSecret, KeyVaultResourceConfig } from './schema.ts';
export { VaultError, VAULT_RESOURCE } from './errors.ts';
