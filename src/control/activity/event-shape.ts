/**
 * A recorded change in the shape of Azure Monitor's activity log event (`EventData`, api-version
 * 2015-04-01), so `az monitor activity-log list` and the Monitor SDKs read it unchanged.
 */
import type { ActivityRecord } from './model.ts';
import { operationDisplayName } from './operations.ts';

const HTTP_NAMES: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'NoContent', 400: 'BadRequest', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 412: 'PreconditionFailed',
  413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType', 429: 'TooManyRequests', 500: 'InternalServerError', 503: 'ServiceUnavailable',
};

const named = (value: string, localizedValue = value) => ({ value, localizedValue });

/** .NET ticks (100 ns since 0001-01-01), as the ids of Azure's events carry them. */
const ticks = (ms: number) => (BigInt(ms) * 10_000n + 621_355_968_000_000_000n).toString();

export function activityEventJson(r: ActivityRecord): Record<string, unknown> {
  const httpName = HTTP_NAMES[r.httpStatus] ?? String(r.httpStatus);
  const properties: Record<string, string> = {
    statusCode: httpName,
    serviceRequestId: r.eventDataId,
    entity: r.resourceId,
    message: r.operationName,
    hierarchy: r.subscriptionId ? `${r.tenantId}/${r.subscriptionId}` : r.tenantId,
    surface: r.surface,
  };
  if (r.errorCode) properties.statusMessage = JSON.stringify({ error: { code: r.errorCode } });
  const event: Record<string, unknown> = {
    authorization: { action: r.operationName, scope: r.resourceId },
    caller: r.caller,
    channels: 'Operation',
    claims: r.claims,
    correlationId: r.correlationId,
    description: '',
    eventDataId: r.eventDataId,
    eventName: named('EndRequest', 'End request'),
    category: named('Administrative'),
    eventTimestamp: r.time,
    id: `${r.resourceId}/events/${r.eventDataId}/ticks/${ticks(Date.parse(r.time))}`,
    level: r.status === 'Failed' ? 'Error' : 'Informational',
    operationId: r.correlationId,
    operationName: named(r.operationName, operationDisplayName(r.operationName)),
    resourceGroupName: r.resourceGroup ?? '',
    resourceProviderName: named(r.resourceProvider),
    resourceType: named(r.resourceType),
    resourceId: r.resourceId,
    status: named(r.status),
    subStatus: named(httpName, `${httpName} (HTTP Status Code: ${r.httpStatus})`),
    submissionTimestamp: r.time,
    subscriptionId: r.subscriptionId ?? '',
    tenantId: r.tenantId,
    properties,
    relatedEvents: [],
    httpRequest: { clientRequestId: r.clientRequestId ?? '', clientIpAddress: r.ipAddress, method: r.method },
  };
  return event;
}

/** `$select`: the named top-level fields only (Azure's names, case-insensitive). */
export function selectFields(event: Record<string, unknown>, select: readonly string[] | undefined): Record<string, unknown> {
  if (!select || select.length === 0) return event;
  const wanted = new Set(select.map((s) => s.toLowerCase()));
  return Object.fromEntries(Object.entries(event).filter(([k]) => wanted.has(k.toLowerCase())));
}
