/** One vault's secrets as stored: a header per secret, a record per version (see secrets.ts). */

export const SECRET_KIND = 'vault.secret';
export const SECRET_VERSION_KIND = 'vault.secret-version';

/** Versions one secret keeps; past it, sets are refused (Azure-shaped 400, innererror TooManyVersions). */
export const MAX_VERSIONS = 500;
/** Secrets (live or deleted) one vault holds. */
export const MAX_SECRETS = 10_000;

export interface SecretVersionMeta {
  version: string;
  /** Creation order within the secret (0, 1, …): the newest has the largest. */
  seq: number;
  contentType?: string | undefined;
  tags?: Record<string, string> | undefined;
  enabled: boolean;
  /** Epoch seconds, as Key Vault's attributes. */
  nbf?: number | undefined;
  exp?: number | undefined;
  created: number;
  updated: number;
}

export interface SecretVersion extends SecretVersionMeta {
  value: string;
}

export interface SecretDoc {
  name: string;
  /** Metadata of the newest version (no value). */
  current: SecretVersionMeta;
  versionCount: number;
  deleted?: { deletedDate: number; scheduledPurgeDate: number } | undefined;
}

/** The layout before versions had records of their own: every version inside the header. */
export interface LegacySecretDoc {
  name: string;
  versions: Omit<SecretVersion, 'seq'>[];
  deleted?: SecretDoc['deleted'];
}

export interface SetSecretInput {
  value: string;
  contentType?: string | undefined;
  tags?: Record<string, string> | undefined;
  enabled?: boolean | undefined;
  nbf?: number | undefined;
  exp?: number | undefined;
}

export type MetaPatch = Partial<Pick<SecretVersionMeta, 'contentType' | 'tags' | 'enabled' | 'nbf' | 'exp'>>;

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
