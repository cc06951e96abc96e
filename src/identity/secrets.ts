import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { LRUCache } from 'lru-cache';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

/**
 * Hashing of client secrets and user passwords. A secret Lapis generates carries 256 bits of
 * randomness, so one SHA-256 is enough; text chosen by a person (config secretText, passwords)
 * gets scrypt. The stored form says which: `sha256$<b64>` or `scrypt$N$r$p$<salt>$<hash>`.
 */
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

/** A new client secret: 32 random bytes, base64url (43 characters). Shown once. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashSecret(text: string, generated: boolean): Promise<string> {
  if (generated) return `sha256$${sha256(text).toString('base64')}`;
  const salt = randomBytes(16);
  const hash = await scrypt(text, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * Checks `text` against a stored hash in constant time. Successful scrypt checks are remembered
 * (as a SHA-256 of the text, in memory only) so a busy client does not pay scrypt per token.
 */
const verified = new LRUCache<string, Buffer>({ max: 10_000 });

export async function verifySecret(text: string, stored: string): Promise<boolean> {
  const known = rememberedMatch(text, stored);
  if (known !== undefined) return known;
  const parts = stored.split('$');
  if (parts[0] !== 'scrypt' || parts.length !== 6) return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(text, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
  if (ok) verified.set(stored, sha256(text));
  return ok;
}

/**
 * What can be told about `text` against `stored` without scrypt: a SHA-256 form is compared
 * outright; a scrypt form whose text was verified before is compared with that text's digest
 * (a different text cannot match it). `undefined`: only scrypt can tell.
 */
export function rememberedMatch(text: string, stored: string): boolean | undefined {
  if (stored.startsWith('sha256$') && stored.indexOf('$', 7) < 0) {
    const expected = Buffer.from(stored.slice('sha256$'.length), 'base64');
    // Both are SHA-256 digests: equal lengths, compared in constant time.
    return expected.length === 32 && timingSafeEqual(sha256(text), expected);
  }
  const remembered = verified.get(stored);
  return remembered === undefined ? undefined : timingSafeEqual(sha256(text), remembered);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time comparison of two strings of any length. */
export function equal(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

/** Graph shows the first three characters of a secret as its hint. */
export function secretHint(text: string): string {
  return text.slice(0, 3);
}
