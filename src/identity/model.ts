/** Directory records as stored. Names follow Microsoft Graph where Graph has the concept. */

export interface Tenant {
  id: string;              // GUID, lower case
  displayName: string;
  /** Verified domains; the first is the initial domain. Lower case. */
  domains: string[];
  isDefault: boolean;
}

export interface PasswordCredential {
  keyId: string;
  displayName?: string;
  hint: string;
  secretHash: string;
  startDateTime: string;
  endDateTime?: string;
}

export interface KeyCredential {
  keyId: string;
  displayName?: string;
  type: 'AsymmetricX509Cert';
  usage: 'Verify';
  certPem: string;
  x5t: string;
  x5tS256: string;
  customKeyIdentifier: string;
  startDateTime: string;
  endDateTime: string;
}

export interface Application {
  id: string;              // object id of the application object
  appId: string;           // client id
  tenantId: string;
  displayName: string;
  identifierUris: string[];
  isFallbackPublicClient: boolean;
  requestedAccessTokenVersion: 1 | 2 | null;
  passwordCredentials: PasswordCredential[];
  keyCredentials: KeyCredential[];
  createdDateTime: string;
  /** Graph's `publicClient.redirectUris`: desktop and mobile apps (`http://localhost` matches any port). */
  publicClient?: { redirectUris: string[] };
  /** Graph's `web`: confidential web apps' redirect URIs and where sign-out may send the browser back. */
  web?: { redirectUris: string[]; logoutUrl?: string };
  /** Graph's `spa.redirectUris`: single-page apps (public clients, PKCE required). */
  spa?: { redirectUris: string[] };
}

export interface ServicePrincipal {
  id: string;              // object id: the `oid` of app-only tokens
  appId: string;
  tenantId: string;
  displayName: string;
  servicePrincipalType: 'Application' | 'ManagedIdentity';
  /** For managed identities: the ARM id of the identity (user-assigned) or of its resource. */
  alternativeNames: string[];
}

export interface User {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  displayName: string;
  passwordHash: string;
  /** Epoch seconds of the last password change by an administrator: sign-ins from before it end (sessions, refresh tokens). */
  passwordChangedAt?: number;
}

export interface ManagedIdentity {
  type: 'SystemAssigned' | 'UserAssigned';
  /** ARM id: the identity's own (user-assigned) or the resource it belongs to (system-assigned). */
  resourceId: string;
  name: string;
  tenantId: string;
  clientId: string;
  principalId: string;
  /** ARM location and tags of a user-assigned identity (created through ARM or the portal). */
  location?: string;
  tags?: Record<string, string>;
}

export const KIND = {
  tenant: 'identity.tenant',
  application: 'identity.application',
  servicePrincipal: 'identity.servicePrincipal',
  user: 'identity.user',
  managedIdentity: 'identity.managedIdentity',
  signingKey: 'identity.signingKey',
  settings: 'identity.settings',
  assertionJti: 'identity.assertionJti',
  /** `<tenant>|<lower-case display name>` → `{ appId }`: which app a name-matched declaration means, across nodes. */
  applicationName: 'identity.applicationName',
  /** Who is creating the next signing key (one node per rotation). */
  signingKeyRotation: 'identity.signingKeyRotation',
  /** Failed sign-in counters of smart lockout, shared by the nodes. */
  signInFailures: 'identity.signInFailures',
  /** Authorization codes (by hash), single use: redeemed by a delete only one node can win. */
  authorizationCode: 'identity.authorizationCode',
  /** Refresh tokens (by hash) with their family (parent): rotation by compare-and-swap. */
  refreshToken: 'identity.refreshToken',
  /** Device-code grants (by hash of the device code), and their user codes (by the code) pointing to them. */
  deviceCode: 'identity.deviceCode',
  deviceUserCode: 'identity.deviceUserCode',
  /** Browser sign-in sessions (by hash of the cookie). */
  signInSession: 'identity.signInSession',
} as const;
