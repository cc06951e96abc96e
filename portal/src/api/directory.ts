import type { Session } from '../auth/session.ts';
import { graph } from './http.ts';

export interface PasswordCredential { keyId: string; displayName: string | null; hint: string | null; startDateTime: string; endDateTime: string; secretText?: string | null }
export interface KeyCredential { keyId: string; displayName: string | null; customKeyIdentifier: string | null; startDateTime: string; endDateTime: string; type: string; usage: string; key: string | null }
export interface Application { id: string; appId: string; displayName: string; createdDateTime?: string; passwordCredentials: PasswordCredential[]; keyCredentials?: KeyCredential[]; identifierUris?: string[] }
export interface ServicePrincipal { id: string; appId: string; displayName: string; servicePrincipalType?: string; alternativeNames?: string[] }
export interface User { id: string; userPrincipalName: string; displayName: string }

export const listApplications = (s: Session) => graph<{ value: Application[] }>(s, 'GET', '/applications').then((r) => r.value);
export const getApplication = (s: Session, id: string) => graph<Application>(s, 'GET', `/applications/${encodeURIComponent(id)}`);
export const createApplication = (s: Session, displayName: string) => graph<Application>(s, 'POST', '/applications', { displayName });
export const deleteApplication = (s: Session, id: string) => graph<void>(s, 'DELETE', `/applications/${encodeURIComponent(id)}`);
export const addPassword = (s: Session, id: string, displayName: string, endDateTime: string) =>
  graph<PasswordCredential>(s, 'POST', `/applications/${encodeURIComponent(id)}/addPassword`, { passwordCredential: { displayName, endDateTime } });
export const removePassword = (s: Session, id: string, keyId: string) =>
  graph<void>(s, 'POST', `/applications/${encodeURIComponent(id)}/removePassword`, { keyId });
export const listServicePrincipals = (s: Session) => graph<{ value: ServicePrincipal[] }>(s, 'GET', '/servicePrincipals').then((r) => r.value);
export const getUser = (s: Session, id: string) => graph<User>(s, 'GET', `/users/${encodeURIComponent(id)}`);
export const listUsers = (s: Session) => graph<{ value: User[] }>(s, 'GET', '/users').then((r) => r.value);
export const createUser = (s: Session, userPrincipalName: string, displayName: string, password: string) =>
  graph<User>(s, 'POST', '/users', { accountEnabled: true, displayName, mailNickname: userPrincipalName.split('@')[0], userPrincipalName, passwordProfile: { password, forceChangePasswordNextSignIn: false } });

/** Graph returns each certificate's `key` only on `$select=keyCredentials`; a PATCH replaces the whole list, so it re-sends them. */
const certificatesWithKeys = (s: Session, id: string) =>
  graph<{ keyCredentials: KeyCredential[] }>(s, 'GET', `/applications/${encodeURIComponent(id)}?$select=keyCredentials`).then((r) => r.keyCredentials);
const keep = (k: KeyCredential) => ({ keyId: k.keyId, type: k.type, usage: k.usage, key: k.key, displayName: k.displayName });
/** Upload certificate, as Azure's portal does it: PATCH the application's keyCredentials with the new one added. */
export async function uploadCertificate(s: Session, id: string, key: string, displayName: string): Promise<void> {
  const current = await certificatesWithKeys(s, id);
  await graph<void>(s, 'PATCH', `/applications/${encodeURIComponent(id)}`, { keyCredentials: [...current.map(keep), { type: 'AsymmetricX509Cert', usage: 'Verify', key, displayName: displayName || null }] });
}
export async function deleteCertificate(s: Session, id: string, keyId: string): Promise<void> {
  const current = await certificatesWithKeys(s, id);
  await graph<void>(s, 'PATCH', `/applications/${encodeURIComponent(id)}`, { keyCredentials: current.filter((k) => k.keyId !== keyId).map(keep) });
}
export const resetPassword = (s: Session, id: string, password: string) =>
  graph<void>(s, 'PATCH', `/users/${encodeURIComponent(id)}`, { passwordProfile: { password, forceChangePasswordNextSignIn: false } });
