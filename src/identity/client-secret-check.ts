import type { Application } from './model.ts';
import { rememberedMatch, verifySecret } from './secrets.ts';

// How a presented client secret is judged against an application's password credentials; kept
// apart from Directory (which adds the re-read from the store on a miss) so the rule reads alone.

/** The outcome of presenting a client secret: which check failed matters for the error code. */
export type SecretCheck = 'ok' | 'wrong' | 'expired';

/**
 * Checks a presented secret against every secret of the app; expiry matters only on a match.
 * A credential starting more than five minutes ahead counts as expired (not yet valid).
 * The answer does not depend on the order of the credentials, so the ones that can be judged
 * without scrypt (generated secrets, scrypt hashes verified before) go first: a client using its
 * new secret does not pay scrypt per token for an older one it never presents.
 */
export async function checkPasswordCredentials(app: Application, secret: string, now: number): Promise<SecretCheck> {
  let expired = false;
  let unknown: Application['passwordCredentials'] | undefined;
  for (const p of app.passwordCredentials) {
    const match = rememberedMatch(secret, p.secretHash);
    if (match === undefined) (unknown ??= []).push(p);
    else if (match) {
      if (isCurrent(p, now)) return 'ok';
      expired = true;
    }
  }
  for (const p of unknown ?? []) {
    if (!(await verifySecret(secret, p.secretHash))) continue;
    if (isCurrent(p, now)) return 'ok';
    expired = true;
  }
  return expired ? 'expired' : 'wrong';
}

function isCurrent(p: Application['passwordCredentials'][number], now: number): boolean {
  const notYet = Date.parse(p.startDateTime) > now + 300_000;
  const past = p.endDateTime !== undefined && Date.parse(p.endDateTime) <= now;
  return !notYet && !past;
}
