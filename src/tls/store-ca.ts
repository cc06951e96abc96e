import type { Sealer, Store } from '../store/index.ts';
import type { CaStore } from './index.ts';

const KIND = 'tlsAuthority';
const ID = 'ca';

interface StoredCa {
  certPem: string;
  /** The CA's private key, sealed under the master key (context `tlsAuthority/ca`). */
  keyPemSealed: string;
}

/**
 * The cluster's CA in the shared store: the first node to start inserts it (insert-if-absent, so two
 * nodes starting together cannot both win), every other node takes that one.
 */
export function storeCa(store: Store, sealer: Sealer): CaStore {
  const context = `${KIND}/${ID}`;
  const open = (doc: StoredCa) => ({ certPem: doc.certPem, keyPem: sealer.open(doc.keyPemSealed, context) });
  return {
    async getOrCreate(create) {
      const existing = await store.get<StoredCa>(KIND, ID);
      if (existing) return open(existing);
      const ca = await create();
      if (await store.insertIfAbsent<StoredCa>(KIND, ID, { certPem: ca.certPem, keyPemSealed: sealer.seal(ca.keyPem, context) })) return ca;
      const winner = await store.get<StoredCa>(KIND, ID);
      if (!winner) throw new Error('The cluster CA vanished from the store while this node was starting.');
      return open(winner);
    },
  };
}
