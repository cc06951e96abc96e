import { randomUUID, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sealer, Store } from '../store/index.ts';
import { KIND } from './model.ts';
import { generateSigningKey, openPrivateKey, sealedRow, toJwk, type Jwk, type StoredKey } from './signing-key-material.ts';
import { updateDocument } from './optimistic-update.ts';

export type { Jwk } from './signing-key-material.ts';

export interface SigningKey { kid: string; privateKey: KeyObject }

/**
 * Rotation with overlap, as Entra does it: the next key is published (in the JWKS) a lead time
 * before it signs, so validators that cache the JWKS already know it; a replaced key stays
 * published until every token it signed has expired.
 */
export interface RotationPolicy { lifetimeMs: number; leadMs: number; retainMs: number }
export const DEFAULT_ROTATION: RotationPolicy = {
  lifetimeMs: 30 * 24 * 3600_000,
  leadMs: 24 * 3600_000,
  retainMs: 2 * 24 * 3600_000,
};

/** A node that claimed a rotation and wrote no key within this time is presumed dead; another takes over. */
const CLAIM_STALE_MS = 60_000;
/** The first key activates this far in the past, so nodes whose clocks run a little behind can sign with it at once. */
const FIRST_KEY_BACKDATE_MS = 60_000;
/** How often a node without any key checks whether the node that claimed the first one has written it. */
const CLAIM_POLL_MS = 100;

interface RotationClaim { id: string; by: string; at: number }

/**
 * The token-signing key ring, shared by every node on one store: keys live in the store (private
 * keys sealed under the master key), every node follows the change feed, so a key created or
 * rotated on one node is published and verifies on all. A scheduled rotation is done by one
 * node: the first to insert the rotation's claim (`after:<kid of the key it follows>`).
 */
export class KeyRing {
  readonly #store: Store;
  readonly #policy: RotationPolicy;
  readonly #sealer: Sealer | undefined;
  readonly #onError: (err: unknown) => void;
  readonly #nodeId = randomUUID();
  #keys: StoredKey[] = [];
  readonly #privateKeys = new Map<string, KeyObject>();
  #jwks: { keys: Jwk[] } = { keys: [] };
  #loadSeq = 0;
  #loading: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void)[] = [];

  constructor(store: Store, policy: RotationPolicy = DEFAULT_ROTATION, opts: { sealer?: Sealer; onError?: (err: unknown) => void } = {}) {
    this.#store = store;
    this.#policy = policy;
    this.#sealer = opts.sealer;
    this.#onError = opts.onError ?? (() => {});
  }

  /** Follows the change feed: keys written by any node are loaded here (idempotent). */
  follow(): void {
    if (this.#unsubscribe.length) return;
    const reload = () => { this.#reload().catch(this.#onError); };
    this.#unsubscribe.push(this.#store.changes.subscribe(reload, [KIND.signingKey]), this.#store.changes.onResync(reload));
  }

  stop(): void {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
  }

  /** Loads keys and performs any rotation that is due (called at start and periodically). */
  async maintain(now = Date.now()): Promise<void> {
    await this.#reload();
    const active = this.#activeAt(now);
    if (!active) {
      await this.#createFirst(now);
    } else if (!this.#keys.some((k) => k.activatesAt > now) && now >= active.activatesAt + this.#policy.lifetimeMs - this.#policy.leadMs) {
      await this.#createClaimed(`after:${active.kid}`, active.activatesAt + this.#policy.lifetimeMs, () => true);
    }
    // A key is retired once its successor has been active longer than tokens live. Every node
    // computes the same date; the compare-and-swap keeps one write. Plain rows get sealed here.
    for (const k of this.#keys) {
      const successor = this.#keys.find((s) => s.activatesAt > k.activatesAt && s.activatesAt <= now);
      const retiresAt = successor && k.retiresAt === undefined ? successor.activatesAt + this.#policy.retainMs : undefined;
      if (retiresAt === undefined && !sealedRow(k, this.#sealer)) continue;
      await updateDocument<StoredKey>(this.#store, KIND.signingKey, k.kid, (prior) => {
        if (!prior) return undefined;
        const next = retiresAt !== undefined && prior.retiresAt === undefined ? { ...prior, retiresAt } : prior;
        const sealed = sealedRow(next, this.#sealer) ?? next;
        return sealed === prior ? undefined : sealed;
      });
    }
    await this.#reload();
    for (const k of this.#keys.filter((k) => k.retiresAt !== undefined && k.retiresAt <= now)) {
      await this.#store.delete(KIND.signingKey, k.kid);
    }
    await this.#dropOldClaims(now);
    await this.#reload();
  }

  /**
   * Starts a rotation now (an operator's explicit action on one node): a new key is published at
   * once, on every node, and signs after `leadMs` (0 for an emergency rotation). The current key
   * stays published for the retention period.
   */
  async rotate(leadMs = this.#policy.leadMs, now = Date.now()): Promise<string> {
    const k = await this.#create(now + leadMs);
    await this.maintain(now);
    return k.kid;
  }

  /** The key that signs now. */
  current(now = Date.now()): SigningKey {
    const k = this.#activeAt(now);
    if (!k) throw new Error('no active signing key');
    return { kid: k.kid, privateKey: this.#privateKey(k) };
  }

  /** Every published key, including the next and the recently replaced ones. */
  jwks(): { keys: Jwk[] } {
    return this.#jwks;
  }

  #activeAt(now: number): StoredKey | undefined {
    let found: StoredKey | undefined;
    for (const k of this.#keys) if (k.activatesAt <= now && (k.retiresAt === undefined || k.retiresAt > now)) found = k;
    return found;
  }

  #privateKey(k: StoredKey): KeyObject {
    let key = this.#privateKeys.get(k.kid);
    if (!key) {
      key = openPrivateKey(k, this.#sealer);
      this.#privateKeys.set(k.kid, key);
    }
    return key;
  }

  /**
   * No key signs (a new store): one node creates the first key; the others wait for it rather
   * than each creating their own. A claim left by a node that died is taken over once stale.
   */
  async #createFirst(now: number): Promise<void> {
    const last = this.#keys.at(-1)?.kid;
    const claimId = last ? `after:${last}` : 'initial';
    // The winner's key may activate a moment after this node's `now`: any new key ends the wait.
    const arrived = () => this.#keys.at(-1)?.kid !== last;
    for (;;) {
      if (await this.#createClaimed(claimId, now - FIRST_KEY_BACKDATE_MS, arrived)) return;
      await sleep(CLAIM_POLL_MS);
      await this.#reload();
      if (arrived()) return;
    }
  }

  /**
   * Creates the key of one rotation if this node wins its claim. Returns true when it did, or when
   * another node holds the claim and `settled()` says its key is here or not needed to go on.
   */
  async #createClaimed(claimId: string, activatesAt: number, settled: () => boolean): Promise<boolean> {
    const claim: RotationClaim = { id: claimId, by: this.#nodeId, at: Date.now() };
    let won = await this.#store.insertIfAbsent(KIND.signingKeyRotation, claimId, claim);
    if (!won) {
      const held = await this.#store.getVersioned<RotationClaim>(KIND.signingKeyRotation, claimId);
      const stale = held && held.doc.by !== this.#nodeId && held.doc.at + CLAIM_STALE_MS <= Date.now();
      won = held?.doc.by === this.#nodeId || (stale ? await this.#store.replaceIf(KIND.signingKeyRotation, claimId, held.revision, claim) : false);
      // Another node rotates; its key reaches this one through the change feed.
      if (!won) return settled();
    }
    await this.#create(activatesAt);
    return true;
  }

  async #create(activatesAt: number): Promise<StoredKey> {
    const validUntil = activatesAt + this.#policy.lifetimeMs + this.#policy.retainMs + 7 * 24 * 3600_000;
    const stored = await generateSigningKey(activatesAt, validUntil, this.#sealer);
    await this.#store.insertIfAbsent(KIND.signingKey, stored.kid, stored);
    await this.#reload();
    return stored;
  }

  /** A claim is needed only while its rotation happens; ones older than a key's whole life are clutter. */
  async #dropOldClaims(now: number): Promise<void> {
    const horizon = now - 2 * (this.#policy.lifetimeMs + this.#policy.retainMs);
    for (const c of await this.#store.list<RotationClaim>(KIND.signingKeyRotation)) {
      if (c.at < horizon) await this.#store.delete(KIND.signingKeyRotation, c.id);
    }
  }

  /**
   * Reads the ring from the store. Loads may finish out of order; only the newest applies, and
   * every caller waits until the ring holds a load at least as new as its own call.
   */
  async #reload(): Promise<void> {
    const seq = ++this.#loadSeq;
    const load = (async () => {
      const rows = await this.#store.list<StoredKey>(KIND.signingKey);
      if (seq === this.#loadSeq) this.#install(rows);
    })();
    this.#loading = load;
    let awaited = load;
    await load;
    while (this.#loading !== awaited) {
      awaited = this.#loading;
      await awaited.catch(() => undefined);
    }
  }

  #install(rows: StoredKey[]): void {
    const keys = [...rows].sort((a, b) => a.activatesAt - b.activatesAt);
    // Open every key now: a key sealed under another master key fails here, loudly, not at the first token.
    const jwks = keys.map((k) => toJwk(k, this.#privateKey(k)));
    const live = new Set(keys.map((k) => k.kid));
    for (const kid of this.#privateKeys.keys()) if (!live.has(kid)) this.#privateKeys.delete(kid);
    this.#keys = keys;
    this.#jwks = { keys: jwks };
  }
}
