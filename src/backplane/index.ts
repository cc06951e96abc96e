export type { Backplane, BackplaneNode, MemberKind, RequestOutcome } from './types.ts';
export { InProcessBackplane } from './in-process.ts';
export { RedisBackplane, RedisBackplaneError, redactBackplaneUrl } from './redis/index.ts';
export type { BackplaneStats, RedisBackplaneOptions, RedisBackplaneErrorCode } from './redis/index.ts';
