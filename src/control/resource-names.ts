import type { Store } from '../store/index.ts';

/**
 * Resource names are unique across kinds (Web PubSub, SignalR, Key Vault), as a DNS zone would
 * make them in Azure. One claim document per name, written with `insertIfAbsent`, makes that hold
 * across nodes: of two nodes creating one name at once, one claim lands. A claim is released in
 * the transaction that deletes its record, or when a creation fails.
 */
export const NAME_CLAIM_KIND = 'control.resourceName';

interface NameClaim {
  name: string;
  /** The ARM type of the resource holding the name. */
  type: string;
  /** When claimed: a claim whose resource never appeared (its node died mid-creation) expires. */
  at: number;
}

/** A claim with no record behind it after this long is abandoned: another creation may take it. */
const ABANDONED_AFTER_MS = 2 * 60_000;

export type ClaimResult = { claimed: true } | { claimed: false; holderType: string };

export class ResourceNames {
  readonly #store: Store;
  /** Whether a record of that type and name exists in the store (a claim of a live resource never expires). */
  readonly #recordExists: (type: string, name: string) => Promise<boolean>;
  readonly #now: () => number;

  constructor(store: Store, recordExists: (type: string, name: string) => Promise<boolean>, now: () => number = Date.now) {
    this.#store = store;
    this.#recordExists = recordExists;
    this.#now = now;
  }

  /**
   * Claims `name` for a resource of `type`. With `sameTypeIsMine` (a declared resource being
   * brought in line with the config on every node's start), a claim held by that type counts as
   * this caller's; otherwise (creating through the API) any existing claim is someone else's.
   */
  async claim(name: string, type: string, sameTypeIsMine = false): Promise<ClaimResult> {
    const id = name.toLowerCase();
    const mine: NameClaim = { name, type, at: this.#now() };
    for (let attempt = 0; attempt < 4; attempt++) {
      if (await this.#store.insertIfAbsent<NameClaim>(NAME_CLAIM_KIND, id, mine)) return { claimed: true };
      const held = await this.#store.getVersioned<NameClaim>(NAME_CLAIM_KIND, id);
      if (!held) continue;  // released meanwhile: try again
      if (sameTypeIsMine && held.doc.type.toLowerCase() === type.toLowerCase()) return { claimed: true };
      const abandoned = this.#now() - held.doc.at > ABANDONED_AFTER_MS && !await this.#recordExists(held.doc.type, id);
      if (!abandoned) return { claimed: false, holderType: held.doc.type };
      if (await this.#store.replaceIf<NameClaim>(NAME_CLAIM_KIND, id, held.revision, mine)) return { claimed: true };
    }
    const held = await this.#store.get<NameClaim>(NAME_CLAIM_KIND, id);
    return { claimed: false, holderType: held?.type ?? type };
  }

  /** Releases a name (inside the deleting transaction when given). */
  async release(name: string, tx: Store = this.#store): Promise<void> {
    await tx.delete(NAME_CLAIM_KIND, name.toLowerCase());
  }

  /** Records from before claims existed get theirs (idempotent; every node may run it at start). */
  async backfill(records: readonly { name: string; type: string }[]): Promise<void> {
    const held = new Set((await this.#store.list<NameClaim>(NAME_CLAIM_KIND)).map((c) => c.name.toLowerCase()));
    for (const r of records) {
      if (!held.has(r.name.toLowerCase())) await this.#store.insertIfAbsent<NameClaim>(NAME_CLAIM_KIND, r.name.toLowerCase(), { name: r.name, type: r.type, at: this.#now() });
    }
  }
}
