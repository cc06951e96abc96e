/**
 * The upstream request signature both Azure services use: `sha256=<hex HMAC-SHA256(accessKey,
 * connectionId)>` for each access key, comma-joined (Web PubSub's `ce-signature`, SignalR's
 * `X-ASRS-Signature`). A connection's signature only changes when the keys do, so it is computed
 * once per (connection, keys) and kept in a bounded cache instead of per event.
 */
import { createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export class SignatureCache {
  readonly #cache: LRUCache<string, { keys: string; signature: string }>;

  constructor(max = 10_000) {
    this.#cache = new LRUCache({ max });
  }

  sign(connectionId: string, keys: { primaryKey: string; secondaryKey: string }): string {
    const keyed = `${keys.primaryKey}\u0000${keys.secondaryKey}`;
    const hit = this.#cache.get(connectionId);
    if (hit && hit.keys === keyed) return hit.signature;
    const signature = [keys.primaryKey, keys.secondaryKey]
      .filter((k) => k)
      .map((k) => `sha256=${createHmac('sha256', Buffer.from(k, 'utf8')).update(connectionId, 'utf8').digest('hex')}`)
      .join(',');
    this.#cache.set(connectionId, { keys: keyed, signature });
    return signature;
  }

  /** The connection is gone: its entry would only take room. */
  forget(connectionId: string): void {
    this.#cache.delete(connectionId);
  }
}
