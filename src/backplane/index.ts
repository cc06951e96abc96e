export type { Backplane, BackplaneNode, MemberKind, RequestOutcome } from './types.ts';
export { InProcessBackplane } from './in-process.ts';
export { RedisBackplane } from './redis/index.ts';
export type { BackplaneStats, RedisBackplaneOptions } from './redis/index.ts';
