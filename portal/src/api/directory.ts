import type { Session } from '../auth/session.ts';
import { graph } from './http.ts';

export interface PasswordCredential { keyId: string; displayName: string | null; hint: string | null; startDateTime: string; endDateTime: string; secretText?: string | null }
export interface Application { id: string; appId: string; displayName: string; createdDateTime?: string; passwordCredentials: PasswordCredential[]; keyCredentials?: unknown[]; identifierUris?: string[] }
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
export const listUsers = (s: Session) => graph<{ value: User[] }>(s, 'GET', '/users').then((r) => r.value);
export const createUser = (s: Session, userPrincipalName: string, displayName: string, password: string) =>
  graph<User>(s, 'POST', '/users', { accountEnabled: true, displayName, mailNickname: userPrincipalName.split('@')[0], userPrincipalName, passwordProfile: { password, forceChangePasswordNextSignIn: false } });
