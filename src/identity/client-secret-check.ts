import type { Application } from './model.ts';
import { verifySecret } from './secrets.ts';

// How a presented client secret is judged against an application's password credentials; kept
// apart from Directory (which adds the re-read from the store on a miss) so the rule reads alone.

/** The outcome of presenting a client secret: which check failed matters for the error code. */
export type SecretCheck = 'ok' | 'wrong' | 'expired';

/**
 * Checks a presented secret against every secret of the app; expiry matters only on a match.
 * A credential starting more than five minutes ahead counts as expired (not yet valid).
 */
export async function checkPasswordCredentials(app: Application, secret: string, now: number): Promise<SecretCheck> {
  let expired = false;
  for (const p of app.passwordCredentials) {
    if (!(await verifySecret(secret, p.secretHash))) continue;
    const notYet = Date.parse(p.startDateTime) > now + 300_000;
    const past = p.endDateTime !== undefined && Date.parse(p.endDateTime) <= now;
    if (!notYet && !past) return 'ok';
    expired = true;
  }
  return expired ? 'expired' : 'wrong';
}
