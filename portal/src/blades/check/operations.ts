import type { OperationKind } from '../../api/explain.ts';

export interface CommonOperation { kind: OperationKind; operation: string }

const WPS = 'Microsoft.SignalRService/WebPubSub';
const SR = 'Microsoft.SignalRService/SignalR';

/** A short list of operations people usually ask about, by the scope's resource type (any can also be typed). */
export function commonOperations(scope: string): CommonOperation[] {
  const data = (ops: string[]) => ops.map((operation) => ({ kind: 'dataAction' as const, operation }));
  const mgmt = (ops: string[]) => ops.map((operation) => ({ kind: 'action' as const, operation }));
  const authz = mgmt(['Microsoft.Authorization/roleAssignments/read', 'Microsoft.Authorization/roleAssignments/write']);
  if (/\/providers\/Microsoft\.SignalRService\/webPubSub\//i.test(scope)) {
    return [
      ...data([`${WPS}/hub/send/action`, `${WPS}/group/send/action`, `${WPS}/user/send/action`, `${WPS}/clientConnection/generateToken/action`, `${WPS}/group/read`]),
      ...mgmt([`${WPS}/read`, `${WPS}/write`, `${WPS}/listKeys/action`]), ...authz,
    ];
  }
  if (/\/providers\/Microsoft\.SignalRService\/signalR\//i.test(scope)) {
    return [
      ...data([`${SR}/auth/accessKey/action`, `${SR}/hub/send/action`, `${SR}/group/send/action`, `${SR}/serverConnection/write`]),
      ...mgmt([`${SR}/read`, `${SR}/write`, `${SR}/listKeys/action`]), ...authz,
    ];
  }
  return [...mgmt(['Microsoft.Resources/subscriptions/resourceGroups/read', `${WPS}/read`, `${SR}/read`]), ...authz,
    ...data([`${WPS}/hub/send/action`, `${SR}/auth/accessKey/action`])];
}

/** The name Azure gives each kind in role definitions. */
export const kindLabel = (k: OperationKind) => (k === 'action' ? 'Action' : 'DataAction');
