import type { Application, KeyCredential, PasswordCredential, ServicePrincipal, User } from '../../identity/index.ts';
import { GE } from './errors.ts';
import { certificateBase64 } from './key-credentials.ts';

/** Graph JSON for directory objects. Hashes never leave the server; a secret's text only once, at creation. */

export function passwordCredentialJson(p: PasswordCredential, secretText: string | null = null) {
  return {
    customKeyIdentifier: null, displayName: p.displayName ?? null, endDateTime: p.endDateTime ?? null,
    hint: p.hint, keyId: p.keyId, secretText, startDateTime: p.startDateTime,
  };
}

/** `withKey`: Graph returns the certificate only when one object's keyCredentials are $select-ed. */
export function keyCredentialJson(k: KeyCredential, withKey = false) {
  return {
    customKeyIdentifier: k.customKeyIdentifier, displayName: k.displayName ?? null, endDateTime: k.endDateTime,
    key: withKey ? certificateBase64(k) : null, keyId: k.keyId, startDateTime: k.startDateTime, type: k.type, usage: k.usage,
  };
}

export function applicationJson(a: Application, withKeys = false) {
  return {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#applications/$entity',
    id: a.id, appId: a.appId, displayName: a.displayName, createdDateTime: a.createdDateTime,
    identifierUris: a.identifierUris, isFallbackPublicClient: a.isFallbackPublicClient,
    signInAudience: 'AzureADMyOrg', publisherDomain: null,
    api: { requestedAccessTokenVersion: a.requestedAccessTokenVersion },
    passwordCredentials: a.passwordCredentials.map((p) => passwordCredentialJson(p)),
    keyCredentials: a.keyCredentials.map((k) => keyCredentialJson(k, withKeys)),
  };
}

export function servicePrincipalJson(s: ServicePrincipal) {
  return {
    id: s.id, appId: s.appId, displayName: s.displayName, appOwnerOrganizationId: s.tenantId,
    servicePrincipalType: s.servicePrincipalType, alternativeNames: s.alternativeNames, accountEnabled: true,
  };
}

export function userJson(u: User) {
  return { id: u.id, userPrincipalName: u.userPrincipalName, displayName: u.displayName, accountEnabled: true };
}

/**
 * One object narrowed to a `$select` list, as Graph answers it (its context names the selection).
 * An unknown property is Graph's 400.
 */
export function selectProperties(full: Record<string, unknown>, select: string, entitySet: string, type: string): Record<string, unknown> {
  const names = select.split(',').map((n) => n.trim()).filter(Boolean);
  if (!names.length || names.length > 50) throw GE.badRequest(`Invalid $select: expected a comma-separated list of properties.`);
  const out: Record<string, unknown> = { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#${entitySet}(${names.join(',')})/$entity` };
  for (const n of names) {
    const key = Object.keys(full).find((k) => k.toLowerCase() === n.toLowerCase() && !k.startsWith('@'));
    if (!key) throw GE.badRequest(`Could not find a property named '${n.slice(0, 64)}' on type 'microsoft.graph.${type}'.`);
    out[key] = full[key];
  }
  return out;
}
