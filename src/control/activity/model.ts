/**
 * One recorded management change, as kept in the store (kind `activity-log`): who (principal,
 * name, app), what (operation, resource), how it ended (status, HTTP status, error code), and
 * where from (correlation id, caller IP). The Azure event shape is built from it on read.
 */
export const ACTIVITY_KIND = 'activity-log';

export interface ActivityRecord {
  eventDataId: string;
  /** ISO 8601, UTC, millisecond precision. */
  time: string;
  tenantId: string;
  /** Absent for tenant-level changes (Microsoft Graph). */
  subscriptionId?: string | undefined;
  resourceGroup?: string | undefined;
  /** `Microsoft.SignalRService/webPubSub/write`, `Microsoft.Authorization/roleAssignments/write`, … */
  operationName: string;
  /** The ARM id of what changed (Graph: `/tenants/{tid}/providers/microsoft.directory/{collection}/{id}`). */
  resourceId: string;
  resourceProvider: string;
  resourceType: string;
  surface: 'ARM' | 'Graph';
  method: string;
  status: 'Succeeded' | 'Failed';
  httpStatus: number;
  errorCode?: string | undefined;
  correlationId: string;
  clientRequestId?: string | undefined;
  /** The `caller` of the event: a user's UPN, else the application's appId, else the object id. */
  caller: string;
  principalId: string;
  principalType: 'User' | 'ServicePrincipal';
  appId?: string | undefined;
  displayName?: string | undefined;
  ipAddress: string;
  /** A subset of the token's claims, named as Azure names them in activity events. */
  claims: Record<string, string>;
}

export interface RetentionOptions {
  /** Events kept at most (oldest go first). Default 10 000. */
  maxEvents?: number | undefined;
  /** Days an event is kept. Default 90, as Azure keeps the activity log. */
  maxDays?: number | undefined;
}

export const DEFAULT_MAX_EVENTS = 10_000;
export const DEFAULT_MAX_DAYS = 90;
