export { loadConfigFile, validateConfig, ConfigError, jsonPath, MAX_CONFIG_BYTES } from './load.ts';
export { isKeyVault } from './schema.ts';
export type { ResourceConfig, KeyVaultResourceConfig } from './schema.ts';
export type { LapisConfig, ApplicationConfig, UserConfig, UserAssignedIdentityConfig, WebPubSubConfig, RoleAssignmentConfig } from './schema.ts';
