import { sign, type KeyObject } from 'node:crypto';

// RS256 compact JWS for the tokens Lapis mints, without jose: the token endpoint signs one per
// request, and jose's path (header validation, claims builder, a JS base64 encoder, WebCrypto)
// cost more than a tenth of the endpoint's CPU besides the signature itself. The signature runs
// on the libuv thread pool (crypto.sign with a callback), as WebCrypto's did: on one core that
// costs ~2 % against a synchronous sign, and on two free cores it lets signatures run beside the
// event loop (~1.8× the one-core rate; docs/performance.md, "Signing on a worker pool?").

export interface JwsHeader { typ: 'JWT'; alg: 'RS256'; kid: string; x5t?: string }

/** A protected header, encoded once per key and shape (the header of every token a key signs is the same). */
export class HeaderSegments {
  readonly #cache = new Map<string, string>();

  of(header: JwsHeader): string {
    const id = `${header.kid}|${header.x5t ?? ''}`;
    let seg = this.#cache.get(id);
    if (seg === undefined) {
      // Keys rotate monthly; a handful of entries at most, but never unbounded.
      if (this.#cache.size >= 16) this.#cache.clear();
      seg = Buffer.from(JSON.stringify(header)).toString('base64url');
      this.#cache.set(id, seg);
    }
    return seg;
  }
}

/** `header.payload.signature` with an RSA private key (RSASSA-PKCS1-v1_5 over SHA-256). */
export function signCompactRs256(headerSegment: string, claims: object, key: KeyObject): Promise<string> {
  const input = `${headerSegment}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(input), key, (err, signature) => {
      if (err) reject(err);
      else resolve(`${input}.${signature.toString('base64url')}`);
    });
  });
}
