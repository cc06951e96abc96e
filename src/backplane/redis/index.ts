export { RedisBackplane } from './backplane.ts';
export type { BackplaneStats } from './messenger.ts';
export type { RedisBackplaneOptions } from './options.ts';
export { decodeEnvelope, encodeEnvelope, withSender } from './codec.ts';
export type { Envelope } from './codec.ts';
export { RedisBackplaneError, redactBackplaneUrl } from './errors.ts';
export type { RedisBackplaneErrorCode } from './errors.ts';
/** For pieces that keep state next to the backplane with the same conventions (reliable sessions). */
export { createClient, reconnectDelay } from './clients.ts';
export { RedisKeys } from './keys.ts';
