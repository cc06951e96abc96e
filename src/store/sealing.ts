/**
 * Secrets at rest: values that must stay usable (HMAC access keys, vault secret values, token
 * signing keys, the CA key) are sealed with AES-256-GCM under a key-encryption key that is not in
 * the store, so a database dump alone opens nothing. Each sealed value is bound to where it lives
 * (`context`, e.g. "resourceKey/<id>"), so a value copied to another record does not open.
 *
 * The master key comes from `--master-key-file`, or `LAPIS_MASTER_KEY` (base64 of 32 bytes),
 * shared by a cluster's nodes; a single node generates `<dataDir>/master.key` (owner-only).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'lapis-sealed:v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
/** A sealed value is never larger than this (the largest secret Lapis keeps is a vault value of 25 KB). */
const MAX_SEALED_CHARS = 256 * 1024;

export class SealingError extends Error {
  readonly code: 'MasterKeyInvalid' | 'SealedValueInvalid' | 'WrongMasterKey';
  constructor(code: SealingError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface Sealer {
  /** Seals a secret for the record named by `context`. */
  seal(plaintext: string, context: string): string;
  /**
   * Opens a sealed value. A value that was never sealed (written before sealing existed) is
   * returned as it is, so an old data directory keeps working; it is sealed on its next write.
   */
  open(value: string, context: string): string;
  isSealed(value: string): boolean;
}

export function createSealer(masterKey: Buffer): Sealer {
  if (masterKey.length !== KEY_BYTES) throw new SealingError('MasterKeyInvalid', `The master key must be ${KEY_BYTES} bytes.`);
  const key = Buffer.from(masterKey);
  const keyId = createHash('sha256').update(key).digest().subarray(0, 6).toString('base64url');
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${PREFIX}${keyId}.${iv.toString('base64url')}.${ct.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
    },
    open(value, context) {
      if (!value.startsWith(PREFIX)) return value;
      if (value.length > MAX_SEALED_CHARS) throw new SealingError('SealedValueInvalid', 'A sealed value is too large.');
      const [kid, iv, ct, tag, extra] = value.slice(PREFIX.length).split('.');
      if (!kid || !iv || ct === undefined || !tag || extra !== undefined) {
        throw new SealingError('SealedValueInvalid', 'A sealed value is malformed.');
      }
      if (kid !== keyId) {
        throw new SealingError('WrongMasterKey', 'A secret in the store was sealed with another master key; give every node the same --master-key-file or LAPIS_MASTER_KEY.');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new SealingError('SealedValueInvalid', `A sealed value does not open for ${context} (tampered with, or moved from another record).`);
      }
    },
    isSealed: (value) => value.startsWith(PREFIX),
  };
}

export interface MasterKeySource {
  dataDir: string;
  /** `--master-key-file`: a file holding the key as base64 (or 32 raw bytes). */
  file?: string | undefined;
  /** `LAPIS_MASTER_KEY`: the key as base64. */
  env?: string | undefined;
}

/** The master key of this node: given (file or environment), or generated once in the data directory. */
export function loadMasterKey(source: MasterKeySource): { key: Buffer; origin: 'file' | 'env' | 'dataDir' } {
  if (source.file) return { key: parseKey(readFileSync(source.file), source.file), origin: 'file' };
  if (source.env) return { key: parseKey(Buffer.from(source.env, 'utf8'), 'LAPIS_MASTER_KEY'), origin: 'env' };
  const path = join(source.dataDir, 'master.key');
  if (existsSync(path)) return { key: parseKey(readFileSync(path), path), origin: 'dataDir' };
  const key = randomBytes(KEY_BYTES);
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, origin: 'dataDir' };
}

function parseKey(raw: Buffer, where: string): Buffer {
  if (raw.length === KEY_BYTES) return raw;
  const text = raw.toString('utf8').trim();
  const decoded = /^[A-Za-z0-9+/_-]+=*$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (decoded.length !== KEY_BYTES) {
    throw new SealingError('MasterKeyInvalid', `The master key in ${where} must be ${KEY_BYTES} bytes, given as base64 (e.g. \`openssl rand -base64 32\`).`);
  }
  return decoded;
}
