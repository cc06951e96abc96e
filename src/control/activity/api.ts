/**
 * `GET /subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values
 * ?api-version=2015-04-01&$filter=…[&$select=…][&$skipToken=…]`: the activity log as Azure Monitor
 * serves it (newest first, pages of 200 with an absolute nextLink), authorised by
 * `Microsoft.Insights/eventtypes/values/read` at the subscription, or at the resource group or
 * resource the filter names (so a reader of one resource group can read that group's log).
 */
import type { AccessControl } from '../../access/index.ts';
import { ARM } from '../arm/errors.ts';
import type { ActivityLog } from './activity-log.ts';
import { activityEventJson, selectFields } from './event-shape.ts';
import { ActivityFilterError, parseActivityFilter, type ActivityFilter } from './filter.ts';

export const ACTIVITY_API_VERSIONS = ['2015-04-01'] as const;
export const ACTIVITY_READ_ACTION = 'Microsoft.Insights/eventtypes/values/read';
export const ACTIVITY_PAGE_SIZE = 200;

/** `subscriptions/{sub}/providers/microsoft.insights/eventtypes/management/values` (decoded segments). */
export function isActivityLogPath(segs: readonly string[]): boolean {
  const l = segs.map((s) => s.toLowerCase());
  return l.length === 7 && l[0] === 'subscriptions' && l[2] === 'providers' && l[3] === 'microsoft.insights'
    && l[4] === 'eventtypes' && l[5] === 'management' && l[6] === 'values';
}

export interface ActivityRequest {
  segs: string[];
  method: string;
  query: Record<string, unknown>;
  /** `https://host:port` the request came to, for absolute nextLinks. */
  origin: string;
  path: string;
  caller: { principalId: string; clientName: string };
}

const single = (v: unknown): string | undefined => (Array.isArray(v) ? (v[0] as string | undefined) : typeof v === 'string' ? v : undefined);

export function activityLogApi(deps: { activity: ActivityLog; access: AccessControl; tenantId: () => string }) {
  const allowed = (principalId: string, scope: string) => deps.access.check({ principalId, scope, action: ACTIVITY_READ_ACTION });

  function authorize(r: ActivityRequest, sub: string, f: ActivityFilter): void {
    const subScope = `/subscriptions/${sub}`;
    if (allowed(r.caller.principalId, subScope)) return;
    if (f.resourceId !== undefined && f.resourceId.toLowerCase().startsWith(`${subScope.toLowerCase()}/`) && allowed(r.caller.principalId, f.resourceId)) return;
    if (f.resourceGroupName !== undefined && allowed(r.caller.principalId, `${subScope}/resourceGroups/${f.resourceGroupName}`)) return;
    throw ARM.authorizationFailed(r.caller.clientName, r.caller.principalId, ACTIVITY_READ_ACTION, subScope);
  }

  return {
    async handle(r: ActivityRequest): Promise<{ value: Record<string, unknown>[]; nextLink?: string }> {
      if (r.method !== 'GET') throw ARM.methodNotAllowed(r.method);
      const version = single(r.query['api-version']);
      if (!version) throw ARM.missingApiVersion();
      if (!(ACTIVITY_API_VERSIONS as readonly string[]).includes(version)) throw ARM.invalidApiVersion(version, ACTIVITY_API_VERSIONS);
      const sub = r.segs[1]!;
      const rawFilter = single(r.query.$filter);
      let f: ActivityFilter;
      try {
        f = parseActivityFilter(rawFilter);
      } catch (err) {
        if (err instanceof ActivityFilterError) throw ARM.activityFilter(err.message);
        throw err;
      }
      authorize(r, sub, f);
      const skip = single(r.query.$skipToken ?? r.query.$skiptoken);
      let after: string | undefined;
      if (skip !== undefined) {
        after = Buffer.from(skip, 'base64url').toString('utf8');
        if (!/^[\dTZ:.-]{10,40}\|[\w-]{1,64}$/.test(after) || Buffer.from(after, 'utf8').toString('base64url') !== skip) {
          throw ARM.activityFilter('The $skipToken is not valid.');
        }
      }
      const events = await deps.activity.list(deps.tenantId(), sub, f);
      const start = after === undefined ? 0 : events.findIndex((e) => `${e.time}|${e.eventDataId}` < after!);
      const rest = start < 0 ? [] : events.slice(start);
      const page = rest.slice(0, ACTIVITY_PAGE_SIZE);
      const select = single(r.query.$select)?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
      const out: { value: Record<string, unknown>[]; nextLink?: string } = { value: page.map((e) => selectFields(activityEventJson(e), select)) };
      if (rest.length > page.length) {
        const last = page[page.length - 1]!;
        const q = new URLSearchParams({ 'api-version': version, $filter: rawFilter! });
        if (select) q.set('$select', select.join(','));
        q.set('$skipToken', Buffer.from(`${last.time}|${last.eventDataId}`, 'utf8').toString('base64url'));
        out.nextLink = `${r.origin}${r.path}?${q.toString()}`;
      }
      return out;
    },
  };
}

