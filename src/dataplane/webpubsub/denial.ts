/**
 * "Why was this denied" for the refusals no authenticator recorded itself (access-key and client
 * tokens, anonymous connects, the connect handler's 401/403): the surface records them when it
 * answers, with the refused token's claims decoded without trust, and puts the link in the message
 * and the id on the error (sent as `x-ms-lapis-denial-id`). Entra refusals are recorded by the
 * Entra authenticator, with the decision trace.
 */
import { decodeJwt } from 'jose';
import { claimedPrincipal, unverifiedClaims, type DenialSurface, type TokenFailure } from '../../access/index.ts';
import type { DenialRecorder } from './auth/entra.ts';
import type { DataPlaneError } from './errors.ts';

/** What the message says went wrong, as a denial's token failure. */
export function failureFromMessage(message: string): TokenFailure {
  const m = message.toLowerCase();
  if (/expired/.test(m)) return 'expired';
  if (/not valid yet|'nbf'/.test(m)) return 'notYetValid';
  if (/audience|\baud\b/.test(m)) return 'audience';
  if (/signature/.test(m)) return 'signature';
  if (/disabled/.test(m)) return 'disabled';
  if (/no authorization|is required|missing/.test(m)) return 'missing';
  if (/malformed|not a jwt|must be signed/.test(m)) return 'malformed';
  return 'other';
}

function claimsOf(authorization: string | undefined, queryToken: string | undefined): Record<string, unknown> | undefined {
  const fromHeader = unverifiedClaims(authorization);
  if (fromHeader || !queryToken) return fromHeader;
  try {
    return decodeJwt(queryToken.slice(0, 16384)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export interface RefusalContext {
  denials: DenialRecorder | undefined;
  surface: DenialSurface;
  resourceName: string;
  /** The resource id, or a hub's scope below it. */
  scope: string;
  method: string;
  url: string;
  authorization: string | undefined;
  /** A client URL's `access_token`. */
  queryToken?: string | undefined;
}

/** Records a 401/403 not recorded yet; leaves every other error alone. */
export function recordRefusal(e: DataPlaneError, c: RefusalContext): void {
  if (!c.denials || e.denialId || (e.status !== 401 && e.status !== 403)) return;
  try {
    const claims = claimsOf(c.authorization, c.queryToken);
    const receipt = c.denials.record({
      status: e.status, code: e.code, surface: c.surface, resource: c.resourceName, method: c.method, url: c.url,
      principalId: claimedPrincipal(claims), claims, scope: c.scope, message: e.message,
      ...e.status === 401 ? { failure: failureFromMessage(e.message) } : {},
    });
    e.message = `${e.message} ${receipt.sentence}`;
    e.denialId = receipt.id;
  } catch { /* explaining is best effort: the refusal itself goes out regardless */ }
}
