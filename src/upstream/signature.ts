/**
 * The upstream request signature both Azure services use: `sha256=<hex HMAC-SHA256(accessKey,
 * connectionId)>` for each access key, comma-joined (Web PubSub's `ce-signature`, SignalR's
 * `X-ASRS-Signature`). A connection's signature only changes when the keys do, so it is computed
 * once per (connection, keys) and kept in a bounded cache instead of per event.
 *
 * The cache is a plain Map in insertion order (the oldest connection goes first past the bound),
 * not an LRU: entries are dropped when their connection goes, so the bound is only a safety net,
 * and lru-cache 11 clears its whole preallocated arrays each time it becomes empty (at every
 * quiet moment between connections: it was 10% of Lapis's CPU in the upstream benchmark).
 */
import { createHmac, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export class SignatureCache {
  readonly #cache = new Map<string, { keys: string; signature: string }>();
  readonly #max: number;
  #keys: { primaryKey: string; secondaryKey: string; objects: KeyObject[] } | undefined;

  constructor(max = 10_000) {
    this.#max = max;
  }

  sign(connectionId: string, keys: { primaryKey: string; secondaryKey: string }): string {
    const keyed = `${keys.primaryKey}\u0000${keys.secondaryKey}`;
    const hit = this.#cache.get(connectionId);
    if (hit && hit.keys === keyed) return hit.signature;
    const signature = this.#keyObjects(keys)
      .map((k) => `sha256=${createHmac('sha256', k).update(connectionId, 'utf8').digest('hex')}`)
      .join(',');
    if (!hit && this.#cache.size >= this.#max) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(connectionId, { keys: keyed, signature });
    return signature;
  }

  /**
   * The keys as KeyObjects, made again only when the keys change: createHmac with a Buffer key
   * builds a key object per call (about 4× the cost of the HMAC itself on a 44-byte key).
   */
  #keyObjects(keys: { primaryKey: string; secondaryKey: string }): KeyObject[] {
    const c = this.#keys;
    if (c && c.primaryKey === keys.primaryKey && c.secondaryKey === keys.secondaryKey) return c.objects;
    const objects = [keys.primaryKey, keys.secondaryKey].filter((k) => k).map((k) => createSecretKey(Buffer.from(k, 'utf8')));
    this.#keys = { primaryKey: keys.primaryKey, secondaryKey: keys.secondaryKey, objects };
    return objects;
  }

  /** The connection is gone: its entry would only take room. */
  forget(connectionId: string): void {
    this.#cache.delete(connectionId);
  }
}
