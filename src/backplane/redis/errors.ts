/**
 * Errors of the Redis backplane at start. Every error carries a stable `code` (listed in
 * docs/cluster.md); driver errors are kept as `cause` for the logs, and no message ever contains
 * the URL's password. Once started, the backplane never throws at its callers: it drops, counts
 * and reconnects (see the docs' "Failure behaviour").
 */

export type RedisBackplaneErrorCode =
  /** `--backplane` is not a usable redis:// URL (too long, unparsable, other scheme, bad prefix). */
  | 'BackplaneUrlInvalid'
  /** An option is out of range (node name, intervals, sizes). */
  | 'BackplaneOptionInvalid'
  /** Connecting failed: Redis could not be reached, refused the credentials, or a subscription failed. */
  | 'BackplaneUnreachable'
  /** The server is Redis Cluster, or older than 6.2. */
  | 'BackplaneUnsupported';

export class RedisBackplaneError extends Error {
  readonly code: RedisBackplaneErrorCode;
  constructor(code: RedisBackplaneErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RedisBackplaneError';
    this.code = code;
  }
}

export const MAX_BACKPLANE_URL_LENGTH = 2048;

/** The URL with its password replaced by `***`, for messages and logs. */
export function redactBackplaneUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
