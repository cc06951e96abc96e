import { AuthenticationError } from '../errors.ts';
import type { DataPlaneAuth, DataPlaneAuthenticator, DataPlaneRequest } from './types.ts';

export interface Authenticated {
  auth: DataPlaneAuth;
  by: DataPlaneAuthenticator;
}

/**
 * Runs the authenticators in order; the first to recognise the credential decides. Synchronous
 * when every authenticator it asks answers synchronously (an access-key token: HMAC and claims
 * are checked on the spot), so a REST call waits for no promise it does not need.
 */
export function authenticate(chain: readonly DataPlaneAuthenticator[], request: DataPlaneRequest, from = 0): Authenticated | Promise<Authenticated> {
  for (let i = from; i < chain.length; i++) {
    const a = chain[i]!;
    const result = a.authenticate(request);
    if (result instanceof Promise) return result.then((auth) => (auth ? { auth, by: a } : authenticate(chain, request, i + 1)));
    if (result) return { auth: result, by: a };
  }
  const header = request.headers['authorization'];
  throw new AuthenticationError(
    header ? 'The Authorization header carries no credential this resource accepts.' : 'The request has no Authorization header with a bearer token.',
  );
}
