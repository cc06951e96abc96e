export type { ChannelSessions, PermissionChange, RecoveryLookup, SessionHostBinding, SessionRecord, SessionStore } from './types.ts';
export { InProcessSessionStore } from './in-process.ts';
export { RedisSessionStore } from './redis-store.ts';
export type { RedisSessionStoreOptions } from './redis-store.ts';
export { SEQUENCE_BLOCK, MAX_PERMISSION_CHANGES } from './redis-mirror.ts';
