/**
 * Which keys may have signed a SignalR access-key token (reference §1.5, §1.6, §2.2):
 * - header `kid` naming a live temporary key → that key only (refused when Entra auth is disabled:
 *   temporary keys are an Entra credential);
 * - otherwise `kid` is noise (the .NET SDK writes a per-process string hash) → both access keys,
 *   unless local auth is disabled;
 * - client tokens also accept the resource's internal key (what `:generateToken` signs with, so
 *   its tokens keep working when local auth is disabled).
 */
import type { JwtHeader } from '../../common/hmac-jwt.ts';
import { AuthenticationError } from '../../webpubsub/errors.ts';
import type { TemporaryKeyStore } from './temporary-keys.ts';

export interface SignalRKeySource {
  /** Read on every use: regeneration takes effect at once. */
  getAccessKeys(): { primaryKey: string; secondaryKey: string };
  isLocalAuthDisabled(): boolean;
  isAadAuthDisabled(): boolean;
  temporaryKeys: TemporaryKeyStore;
  /** Signs `:generateToken` tokens; accepted on the client endpoint only. */
  internalSigningKey(): string;
}

export const SIGNALR_TOKEN_ALGORITHMS = ['HS256', 'HS512'] as const;

export function tokenKeys(source: SignalRKeySource, header: JwtHeader, forClient: boolean): string[] {
  const kid = header.kid;
  if (typeof kid === 'string' && kid.length > 0 && kid.length <= 256) {
    const temporary = source.temporaryKeys.get(kid);
    if (temporary) {
      if (source.isAadAuthDisabled()) {
        throw new AuthenticationError('Microsoft Entra authentication is disabled for this resource, so temporary access keys are refused.');
      }
      return [temporary.accessKey];
    }
  }
  const keys: string[] = [];
  if (forClient) keys.push(source.internalSigningKey());
  if (!source.isLocalAuthDisabled()) {
    const { primaryKey, secondaryKey } = source.getAccessKeys();
    keys.push(primaryKey, secondaryKey);
  } else if (!forClient) {
    throw new AuthenticationError('Local authentication (access keys) is disabled for this resource. Use Microsoft Entra ID.');
  }
  return keys;
}
