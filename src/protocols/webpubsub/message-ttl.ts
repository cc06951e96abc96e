/**
 * A client's `sendToGroup` may ask for a message TTL (`ttlSeconds` in JSON, `ttl_seconds` in
 * protobuf, 0–300): Azure drops what a receiver has not consumed in time. Lapis has no
 * per-message queue to expire from (see the REST `messageTtlSeconds`), so a TTL is refused with a
 * BadRequest ack rather than accepted and ignored. 0 means "never expires" and is fine.
 */
export function ttlRefusal(ttl: unknown): string | undefined {
  if (ttl === undefined || ttl === null || ttl === 0) return undefined;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 300) return 'ttlSeconds must be an integer between 0 and 300.';
  return 'ttlSeconds is not supported by Lapis: messages are never dropped for age. Omit it or use 0.';
}
