export { ResourceRegistry, WEBPUBSUB_TYPE, webPubSubId, generateAccessKey } from './resources.ts';
export type { ResourceRecord, HubRecord, ResourceIdentity, VaultRecord } from './resources.ts';
export { applyWorld, WorldError, DEFAULT_WORLD, hostResourceId } from './world.ts';
export type { World } from './world.ts';
export { createAccessControl } from './access-config.ts';
export { armRoutes } from './arm/index.ts';
