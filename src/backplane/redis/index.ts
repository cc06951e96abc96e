export { RedisBackplane } from './backplane.ts';
export type { BackplaneStats } from './backplane.ts';
export type { RedisBackplaneOptions } from './options.ts';
export { decodeEnvelope, encodeEnvelope } from './codec.ts';
export type { Envelope } from './codec.ts';
