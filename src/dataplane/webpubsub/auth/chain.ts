import { AuthenticationError } from '../errors.ts';
import type { DataPlaneAuth, DataPlaneAuthenticator, DataPlaneRequest } from './types.ts';

/** Runs the authenticators in order; the first to recognise the credential decides. */
export async function authenticate(
  chain: readonly DataPlaneAuthenticator[],
  request: DataPlaneRequest,
): Promise<{ auth: DataPlaneAuth; by: DataPlaneAuthenticator }> {
  for (const a of chain) {
    const auth = await a.authenticate(request);
    if (auth) return { auth, by: a };
  }
  const header = request.headers['authorization'];
  throw new AuthenticationError(
    header ? 'The Authorization header carries no credential this resource accepts.' : 'The request has no Authorization header with a bearer token.',
  );
}
