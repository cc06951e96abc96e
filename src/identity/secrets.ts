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
  if (generated) return `sha256$${sha256(text)}`;
  const salt = randomBytes(16);
  const hash = await scrypt(text, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * Checks `text` against a stored hash in constant time. Successful scrypt checks are remembered
 * (as a SHA-256 of the text, in memory only) so a busy client does not pay scrypt per token.
 */
const verified = new LRUCache<string, string>({ max: 10_000 });

export async function verifySecret(text: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts[0] === 'sha256' && parts.length === 2) return equal(sha256(text), parts[1]!);
  if (parts[0] !== 'scrypt' || parts.length !== 6) return false;
  const remembered = verified.get(stored);
  const digest = sha256(text);
  if (remembered !== undefined) return equal(digest, remembered);
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(text, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
  if (ok) verified.set(stored, digest);
  return ok;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
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
