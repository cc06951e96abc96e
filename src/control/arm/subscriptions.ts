import type { AccessControl } from '../../access/index.ts';
import type { IdentityService } from '../../identity/index.ts';
import type { ArmCaller } from './auth.ts';
import { ARM } from './errors.ts';

/** The api-versions of Microsoft.Resources' subscriptions and tenants listings that Lapis serves. */
export const SUBSCRIPTIONS_API_VERSIONS = ['2016-06-01', '2018-06-01', '2019-06-01', '2019-11-01', '2020-01-01', '2021-01-01', '2022-01-01', '2022-12-01'] as const;

export interface SubscriptionsDeps { access: AccessControl; identity: IdentityService }

/**
 * ARM's `GET /subscriptions`, `GET /subscriptions/{id}` and `GET /tenants` (what `az login` and
 * `az account` read). As in Azure, a caller sees a subscription when it holds any role assignment
 * at the subscription, at one of its ancestors (management groups, `/`), or at a scope below it
 * (a resource group or resource): someone who may only touch one resource group still finds the
 * subscription. Others get the same 404 as for an unknown id, so existence is not revealed.
 */
export function subscriptionsApi(deps: SubscriptionsDeps) {
  const { access, identity } = deps;
  const tenantId = () => identity.directory.defaultTenant.id;

  const visible = (caller: ArmCaller): string[] => access.scopeTree.subscriptions()
    .map((s) => s.id)
    .filter((id) => access.listRoleAssignments({ scope: `/subscriptions/${id}`, principalId: caller.principalId }).length > 0)
    .sort();

  const json = (id: string) => ({
    id: `/subscriptions/${id}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: id,
    tenantId: tenantId(),
    displayName: `Lapis subscription ${id.slice(0, 8)}`,
    state: 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
  });

  const checkVersion = (version: string | undefined) => {
    if (!version) throw ARM.missingApiVersion();
    if (!(SUBSCRIPTIONS_API_VERSIONS as readonly string[]).includes(version)) throw ARM.invalidApiVersion(version, SUBSCRIPTIONS_API_VERSIONS);
  };

  return {
    /** `segs` is the decoded path: ['subscriptions'] or ['subscriptions', id], or ['tenants']. */
    handle(segs: string[], method: string, version: string | undefined, caller: ArmCaller): unknown {
      if (method !== 'GET' && method !== 'HEAD') throw ARM.methodNotAllowed(method);
      checkVersion(version);
      if (segs[0]!.toLowerCase() === 'tenants') {
        const t = identity.directory.getTenant(caller.tenantId) ?? identity.directory.defaultTenant;
        return {
          value: [{
            id: `/tenants/${t.id}`, tenantId: t.id, countryCode: 'US', displayName: t.displayName,
            domains: t.domains, tenantCategory: 'Home', defaultDomain: t.domains[0] ?? `${t.id}.lapis.local`, tenantType: 'AAD',
          }],
        };
      }
      const list = visible(caller);
      if (segs.length === 1) return { value: list.map(json), count: { type: 'Total', value: list.length } };
      const id = segs[1]!.toLowerCase();
      if (!list.includes(id)) throw ARM.subscriptionNotFound(segs[1]!);
      return json(id);
    },
  };
}

/** Whether a decoded ARM path is one of the listings above. */
export function isSubscriptionsPath(segs: string[]): boolean {
  const first = segs[0]?.toLowerCase();
  return (first === 'subscriptions' && segs.length <= 2) || (first === 'tenants' && segs.length === 1);
}
