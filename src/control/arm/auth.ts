import { decodeJwt } from 'jose';
import { TokenRejected, type IdentityService } from '../../identity/index.ts';
import { tokenFailureOf, type TokenFailure } from '../../access/index.ts';
import { ARM, type ArmAuthCode } from './errors.ts';

/** Both ARM spellings, with and without the trailing slash (DESIGN.md). */
export const ARM_AUDIENCES = [
  'https://management.azure.com', 'https://management.azure.com/',
  'https://management.core.windows.net', 'https://management.core.windows.net/',
];

export interface ArmCaller {
  principalId: string;
  /** How ARM names the client in AuthorizationFailed: a user's UPN, otherwise the object id. */
  clientName: string;
  tenantId: string;
  /** The verified token's payload, for denial records (which keep only identifying claims). */
  claims: Record<string, unknown>;
}

const quote = (s: string) => s.replace(/["\\]/g, "'");

/**
 * Authenticates an ARM request: `Authorization: Bearer <token>` for the management audience from
 * the directory's tenant. Refusals carry ARM's codes and a `WWW-Authenticate` challenge.
 */
export async function authenticateArm(identity: IdentityService, header: string | undefined): Promise<ArmCaller> {
  const tenantId = identity.directory.defaultTenant.id;
  const authority = `${identity.issuer.authorityHost.replace(/\/+$/, '')}/${tenantId}`;
  const fail = (code: ArmAuthCode, message: string, description: string, failure: TokenFailure = 'other') => {
    const e = ARM.unauthenticated(code, message, `Bearer authorization_uri="${authority}", error="invalid_token", error_description="${quote(description)}"`);
    e.failure = failure;
    return e;
  };

  if (!header) throw fail('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", "The authentication failed because of missing 'Authorization' header.", 'missing');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw fail('AuthenticationFailedInvalidHeader', "Authentication failed. The 'Authorization' header is provided in an invalid format.", "The 'Authorization' header is not of the form 'Bearer <token>'.", 'malformed');
  try {
    const v = await identity.verifier.verify(m[1]!, { audiences: ARM_AUDIENCES, tenantId });
    const p = v.payload as Record<string, unknown>;
    const upn = typeof p.upn === 'string' ? p.upn : typeof p.unique_name === 'string' ? p.unique_name : undefined;
    return { principalId: v.principalId.toLowerCase(), clientName: upn ?? v.principalId, tenantId: v.tenantId, claims: p };
  } catch (err) {
    if (!(err instanceof TokenRejected)) throw err;
    let claims: Record<string, unknown> = {};
    try {
      claims = decodeJwt(m[1]!) as Record<string, unknown>;  // only to word the message; nothing is trusted
    } catch { /* not a JWT */ }
    switch (err.code) {
      case 'audience': {
        const aud = String(claims.aud ?? '').slice(0, 200);
        throw fail('InvalidAuthenticationTokenAudience',
          `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ${ARM_AUDIENCES.map((a) => `'${a}'`).join(',')}.`,
          'The access token has been obtained for the wrong audience.', 'audience');
      }
      case 'expired': {
        const exp = typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : 'unknown';
        throw fail('ExpiredAuthenticationToken', `The access token expiry UTC time '${exp}' is earlier than current UTC time '${new Date().toISOString()}'.`, 'The access token has expired.', 'expired');
      }
      case 'issuer':
      case 'tenant':
        throw fail('InvalidAuthenticationTokenTenant',
          `The access token is from the wrong issuer '${String(claims.iss ?? '').slice(0, 200)}'. It must match the tenant '${tenantId}' associated with this subscription. Please use the authority (URL) '${authority}' to get the token.`,
          'The access token is from the wrong issuer.', tokenFailureOf(err));
      default:
        throw fail('InvalidAuthenticationToken', `The access token is invalid. ${err.message}`, err.message, tokenFailureOf(err));
    }
  }
}
