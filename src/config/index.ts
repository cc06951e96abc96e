export { loadConfigFile, validateConfig, ConfigError, jsonPath, MAX_CONFIG_BYTES } from './load.ts';
export { isKeyVault, isSignalR, isWebPubSub } from './schema.ts';
export { SERVICE_MODES, FEATURE_FLAGS, featuresSchema, upstreamTemplatesSchema, upstreamTemplateSchema, corsOriginSchema, normaliseFeature, serviceModeOf, checkPattern, checkUpstreamUrlTemplate } from './signalr.ts';
export type { ServiceMode, FeatureFlag, SignalRFeature, UpstreamTemplate } from './signalr.ts';
export type { ResourceConfig, KeyVaultResourceConfig, SignalRConfig } from './schema.ts';
export type { LapisConfig, ApplicationConfig, UserConfig, UserAssignedIdentityConfig, WebPubSubConfig, RoleAssignmentConfig } from './schema.ts';
