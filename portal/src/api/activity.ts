import type { Session } from '../auth/session.ts';
import { arm } from './http.ts';

/** Azure Monitor's activity log (Lapis serves it at the same path): only what the blade shows. */
export interface ActivityEvent {
  eventDataId: string;
  eventTimestamp: string;
  caller: string;
  correlationId: string;
  operationName: { value: string; localizedValue: string };
  status: { value: string };
  subStatus: { value: string; localizedValue: string };
  resourceId: string;
  resourceGroupName: string;
  level: string;
  claims: Record<string, string>;
  properties: Record<string, string>;
  httpRequest?: { clientIpAddress?: string; method?: string };
}

export interface ActivityQuery {
  subscriptionId: string;
  /** Look-back in hours. */
  hours: number;
  resourceGroup?: string;
  resourceId?: string;
  operation?: string;
  status?: 'Succeeded' | 'Failed';
  caller?: string;
}

const API = '2015-04-01';
/** Pages of 200 followed at most this often: a portal view, not an export. */
const MAX_PAGES = 5;
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

export function activityFilter(q: ActivityQuery, now = new Date()): string {
  const from = new Date(now.getTime() - q.hours * 3_600_000).toISOString();
  const parts = [`eventTimestamp ge ${quote(from)}`, `eventTimestamp le ${quote(now.toISOString())}`];
  if (q.resourceId) parts.push(`resourceUri eq ${quote(q.resourceId)}`);
  else if (q.resourceGroup) parts.push(`resourceGroupName eq ${quote(q.resourceGroup)}`);
  if (q.operation) parts.push(`operationName eq ${quote(q.operation)}`);
  if (q.status) parts.push(`status eq ${quote(q.status)}`);
  if (q.caller) parts.push(`caller eq ${quote(q.caller)}`);
  return parts.join(' and ');
}

export async function listActivity(session: Session, q: ActivityQuery): Promise<ActivityEvent[]> {
  const base = `/subscriptions/${q.subscriptionId}/providers/Microsoft.Insights/eventtypes/management/values`;
  let path: string | undefined = `${base}?$filter=${encodeURIComponent(activityFilter(q))}`;
  const out: ActivityEvent[] = [];
  for (let page = 0; path && page < MAX_PAGES; page++) {
    const r: { value: ActivityEvent[]; nextLink?: string } = await arm(session, 'GET', path, API);
    out.push(...r.value);
    if (!r.nextLink) break;
    // The nextLink is absolute and carries the api-version: keep its path and the rest of its query.
    const next: URL = new URL(r.nextLink, location.origin);
    next.searchParams.delete('api-version');
    path = `${next.pathname}?${next.searchParams.toString()}`;
  }
  return out;
}
