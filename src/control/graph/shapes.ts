import type { Application, KeyCredential, PasswordCredential, ServicePrincipal, User } from '../../identity/index.ts';

/** Graph JSON for directory objects. Hashes never leave the server; a secret's text only once, at creation. */

export function passwordCredentialJson(p: PasswordCredential, secretText: string | null = null) {
  return {
    customKeyIdentifier: null, displayName: p.displayName ?? null, endDateTime: p.endDateTime ?? null,
    hint: p.hint, keyId: p.keyId, secretText, startDateTime: p.startDateTime,
  };
}

export function keyCredentialJson(k: KeyCredential) {
  return {
    customKeyIdentifier: k.customKeyIdentifier, displayName: k.displayName ?? null, endDateTime: k.endDateTime,
    key: null, keyId: k.keyId, startDateTime: k.startDateTime, type: k.type, usage: k.usage,
  };
}

export function applicationJson(a: Application) {
  return {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#applications/$entity',
    id: a.id, appId: a.appId, displayName: a.displayName, createdDateTime: a.createdDateTime,
    identifierUris: a.identifierUris, isFallbackPublicClient: a.isFallbackPublicClient,
    signInAudience: 'AzureADMyOrg', publisherDomain: null,
    api: { requestedAccessTokenVersion: a.requestedAccessTokenVersion },
    passwordCredentials: a.passwordCredentials.map((p) => passwordCredentialJson(p)),
    keyCredentials: a.keyCredentials.map(keyCredentialJson),
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
