import type { Session } from '../auth/session.ts';
import { arm } from './http.ts';

/** Microsoft.ManagedIdentity/userAssignedIdentities as ARM answers them. */
export interface UserAssignedIdentity {
  id: string; name: string; type: string; location: string; tags?: Record<string, string>;
  properties: { tenantId: string; principalId: string; clientId: string };
}

export const MSI_VERSION = '2023-01-31';
const PROVIDER = 'providers/Microsoft.ManagedIdentity/userAssignedIdentities';

export const identityId = (subscriptionId: string, resourceGroup: string, name: string) =>
  `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/${PROVIDER}/${name}`;
export const listIdentities = (s: Session, subscriptionId: string) =>
  arm<{ value: UserAssignedIdentity[] }>(s, 'GET', `/subscriptions/${subscriptionId}/${PROVIDER}`, MSI_VERSION).then((r) => r.value);
export const getIdentity = (s: Session, id: string) => arm<UserAssignedIdentity>(s, 'GET', id, MSI_VERSION);
export const createIdentity = (s: Session, id: string, location: string) => arm<UserAssignedIdentity>(s, 'PUT', id, MSI_VERSION, { location, tags: {} });
export const deleteIdentity = (s: Session, id: string) => arm<void>(s, 'DELETE', id, MSI_VERSION);
