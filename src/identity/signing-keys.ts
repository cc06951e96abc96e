import { createHash, createPrivateKey, generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { x509, type CryptoKeyPair } from '../tls/x509.ts';
import type { Store } from '../store/index.ts';
import { KIND } from './model.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A token-signing key as stored. `kid` = `x5t` = base64url SHA-1 of the certificate, as Entra. */
interface StoredKey {
  kid: string;
  privateKeyPem: string;
  certDer: string;          // base64
  createdAt: number;        // epoch ms
  activatesAt: number;      // starts signing
  retiresAt?: number;       // stops being published
}

export interface Jwk { kty: 'RSA'; use: 'sig'; kid: string; x5t: string; n: string; e: string; x5c: string[]; issuer?: string }

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

export class KeyRing {
  readonly #store: Store;
  readonly #policy: RotationPolicy;
  #keys: StoredKey[] = [];
  readonly #privateKeys = new Map<string, KeyObject>();
  #jwks: { keys: Jwk[] } = { keys: [] };

  constructor(store: Store, policy: RotationPolicy = DEFAULT_ROTATION) {
    this.#store = store;
    this.#policy = policy;
  }

  /** Loads keys and performs any rotation that is due (called at start and periodically). */
  async maintain(now = Date.now()): Promise<void> {
    this.#keys = (await this.#store.list<StoredKey>(KIND.signingKey)).sort((a, b) => a.activatesAt - b.activatesAt);
    const active = this.#activeAt(now);
    if (!active) {
      await this.#create(now);
    } else if (!this.#keys.some((k) => k.activatesAt > now) && now >= active.activatesAt + this.#policy.lifetimeMs - this.#policy.leadMs) {
      await this.#create(active.activatesAt + this.#policy.lifetimeMs);
    }
    // A key is retired once its successor has been active longer than tokens live.
    for (const k of this.#keys) {
      const successor = this.#keys.find((s) => s.activatesAt > k.activatesAt && s.activatesAt <= now);
      if (successor && k.retiresAt === undefined) {
        k.retiresAt = successor.activatesAt + this.#policy.retainMs;
        await this.#store.put(KIND.signingKey, k.kid, k);
      }
    }
    for (const k of this.#keys.filter((k) => k.retiresAt !== undefined && k.retiresAt <= now)) {
      await this.#store.delete(KIND.signingKey, k.kid);
    }
    this.#keys = this.#keys.filter((k) => k.retiresAt === undefined || k.retiresAt > now);
    this.#rebuild();
  }

  /**
   * Starts a rotation now: a new key is published at once and signs after `leadMs` (0 for an
   * emergency rotation). The current key stays published for the retention period.
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
      key = createPrivateKey(k.privateKeyPem);
      this.#privateKeys.set(k.kid, key);
    }
    return key;
  }

  async #create(activatesAt: number): Promise<StoredKey> {
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const keys = {
      publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), alg, true, ['verify']),
      privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign']),
    };
    const now = new Date();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^./, '1'),
      name: 'CN=Lapis token signing',
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(activatesAt + this.#policy.lifetimeMs + this.#policy.retainMs + 7 * 24 * 3600_000),
      signingAlgorithm: alg,
      keys: keys as CryptoKeyPair,
    });
    const der = Buffer.from(cert.rawData);
    const stored: StoredKey = {
      kid: createHash('sha1').update(der).digest('base64url'),
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      certDer: der.toString('base64'),
      createdAt: now.getTime(),
      activatesAt,
    };
    await this.#store.put(KIND.signingKey, stored.kid, stored);
    this.#keys.push(stored);
    this.#keys.sort((a, b) => a.activatesAt - b.activatesAt);
    this.#rebuild();
    return stored;
  }

  #rebuild(): void {
    this.#jwks = {
      keys: this.#keys.map((k) => {
        const jwk = this.#privateKey(k).export({ format: 'jwk' });
        return { kty: 'RSA', use: 'sig', kid: k.kid, x5t: k.kid, n: String(jwk.n), e: String(jwk.e), x5c: [k.certDer] };
      }),
    };
  }
}
