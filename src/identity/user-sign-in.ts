import type { Directory } from './directory.ts';
import { E, EntraError } from './errors.ts';
import type { SmartLockout } from './lockout.ts';
import type { Tenant, User } from './model.ts';

const MAX_CREDENTIAL = 1024;

/**
 * A user's password check on a sign-in page, with the same smart lockout counters as the password
 * grant (per tenant and user name, whether or not the user exists, so nothing is enumerated).
 * Returns the user, or the error to show (AADSTS50126 wrong credentials, AADSTS50053 locked).
 */
export async function checkUserPassword(dir: Directory, lockout: SmartLockout, tenant: Tenant, username: string, password: string): Promise<User | EntraError> {
  if (!username || !password || username.length > MAX_CREDENTIAL || password.length > MAX_CREDENTIAL) return E.wrongPassword();
  const key = `${tenant.id}|${username.toLowerCase()}`;
  const locked = lockout.lockedFor(key);
  if (locked) return E.userLockedOut(locked);
  const user = dir.getUser(username);
  if (!user || user.tenantId !== tenant.id || !(await dir.checkPassword(user, password))) {
    const seconds = await lockout.failed(key);
    return seconds ? E.userLockedOut(seconds) : E.wrongPassword();
  }
  await lockout.succeeded(key);
  return user;
}

export { EntraError };
