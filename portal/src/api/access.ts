import type { Session } from '../auth/session.ts';
import { ARM_VERSION, arm } from './http.ts';

export interface RoleAssignment { id: string; name: string; properties: { scope: string; roleDefinitionId: string; principalId: string; principalType?: string; description?: string | null } }
export interface RolePermission { actions: string[]; notActions: string[]; dataActions: string[]; notDataActions: string[] }
export interface RoleDefinition { id: string; name: string; properties: { roleName: string; description: string; type: string; permissions?: RolePermission[]; assignableScopes?: string[] } }
export interface Subscription { id: string; subscriptionId: string; displayName: string; tenantId: string; state: string }
export interface ServiceResource { id: string; name: string; type: string; location: string }

const V = ARM_VERSION.authorization;
const prefix = (scope: string) => (scope === '/' ? '' : scope);

/** `atScope`: ARM's `$filter=atScope()`, the assignments at the scope and above it (inherited), none below. */
export const listAssignments = (s: Session, scope: string, atScope = false) =>
  arm<{ value: RoleAssignment[] }>(s, 'GET', `${prefix(scope)}/providers/Microsoft.Authorization/roleAssignments${atScope ? `?$filter=${encodeURIComponent('atScope()')}` : ''}`, V).then((r) => r.value);
export const listRoles = (s: Session, scope: string) =>
  arm<{ value: RoleDefinition[] }>(s, 'GET', `${prefix(scope)}/providers/Microsoft.Authorization/roleDefinitions`, V).then((r) => r.value);
/** Without principalType (a principal typed by object id), Lapis takes the type from its directory. */
export const createAssignment = (s: Session, scope: string, roleDefinitionId: string, principalId: string, principalType?: string) =>
  arm<RoleAssignment>(s, 'PUT', `${prefix(scope)}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, V, { properties: { roleDefinitionId, principalId, principalType } });
/** A custom role: PUT {scope}/providers/Microsoft.Authorization/roleDefinitions/{new guid}. */
export const putRoleDefinition = (s: Session, scope: string, name: string, properties: { roleName: string; description: string; permissions: RolePermission[]; assignableScopes: string[] }) =>
  arm<RoleDefinition>(s, 'PUT', `${prefix(scope)}/providers/Microsoft.Authorization/roleDefinitions/${name}`, V, { properties: { ...properties, type: 'CustomRole' } });
export const deleteRoleDefinition = (s: Session, scope: string, name: string) =>
  arm<RoleDefinition | undefined>(s, 'DELETE', `${prefix(scope)}/providers/Microsoft.Authorization/roleDefinitions/${name}`, V);
export const listSubscriptions = (s: Session) => arm<{ value: Subscription[] }>(s, 'GET', '/subscriptions', '2022-12-01').then((r) => r.value);
export const deleteAssignment = (s: Session, id: string) => arm<RoleAssignment>(s, 'DELETE', id, V);

/** Both kinds of Microsoft.SignalRService resources in the subscription. */
export async function listServiceResources(s: Session, subscriptionId: string): Promise<ServiceResource[]> {
  const kinds = [['webPubSub', ARM_VERSION.webPubSub], ['signalR', ARM_VERSION.signalR]] as const;
  const lists = await Promise.all(kinds.map(([k, v]) => arm<{ value: ServiceResource[] }>(s, 'GET', `/subscriptions/${subscriptionId}/providers/Microsoft.SignalRService/${k}`, v).then((r) => r.value)));
  return lists.flat();
}

/** A resource id's scope chain, nearest last: `/`, subscription, resource group, resource. */
export function isInherited(assignmentScope: string, scope: string): boolean {
  return assignmentScope.toLowerCase().replace(/\/+$/, '') !== scope.toLowerCase().replace(/\/+$/, '');
}
