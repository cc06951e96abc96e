export { ResourceRegistry, ServiceRecords, WEBPUBSUB_TYPE, SIGNALR_TYPE, webPubSubId, signalRId, generateAccessKey } from './resources.ts';
export type { ResourceRecord, WebPubSubRecord, SignalRRecord, SignalRProperties, ServiceResourceRecord, ServiceResourceBase, HubRecord, ResourceIdentity, VaultRecord } from './resources.ts';
export { applyWorld, WorldError, DEFAULT_WORLD, hostResourceId } from './world.ts';
export type { World } from './world.ts';
export { createAccessControl } from './access-config.ts';
export { armRoutes } from './arm/index.ts';
