import type { Crumb } from '../../shell/Shell.tsx';
import { href } from '../../shell/router.ts';

export type ScopeLevel = 'root' | 'managementGroup' | 'subscription' | 'resourceGroup' | 'resource';

/** The level of an ARM scope, read from its shape (as src/access/scope.ts does on the server). */
export function scopeLevel(scope: string): ScopeLevel {
  const segs = scope.split('/').filter(Boolean).map((s) => s.toLowerCase());
  if (segs.length === 0) return 'root';
  if (segs[0] === 'providers' && segs[1] === 'microsoft.management') return 'managementGroup';
  if (segs.length === 2) return 'subscription';
  if (segs.length === 4 && segs[2] === 'resourcegroups') return 'resourceGroup';
  return 'resource';
}

const LEVEL_NAMES: Record<ScopeLevel, string> = { root: 'Root', managementGroup: 'Management group', subscription: 'Subscription', resourceGroup: 'Resource group', resource: 'Resource' };
export const levelName = (scope: string) => LEVEL_NAMES[scopeLevel(scope)];

/** What the name of a scope is in the portal: the tenant root group is "Tenant Root Group". */
export function scopeName(scope: string, tenantId: string): string {
  if (scopeLevel(scope) === 'root') return 'Root (/)';
  const last = scope.split('/').filter(Boolean).pop() ?? scope;
  return scopeLevel(scope) === 'managementGroup' && last.toLowerCase() === tenantId.toLowerCase() ? 'Tenant Root Group' : last;
}

/** The Scope column of an inherited assignment: "Subscription: {id} (Inherited)", "Root (/) (Inherited)". */
export function inheritedLabel(scope: string, tenantId: string): string {
  return scopeLevel(scope) === 'root' ? 'Root (/) (Inherited)' : `${levelName(scope)}: ${scopeName(scope, tenantId)} (Inherited)`;
}

/** The breadcrumb to a scope's Access control (IAM) blade, through the blade that lists it. */
export function scopeCrumbs(scope: string, tenantId: string): Crumb[] {
  const home = { label: 'Home', to: href() };
  const name = scopeName(scope, tenantId);
  switch (scopeLevel(scope)) {
    case 'managementGroup': return [home, { label: 'Management groups', to: href('managementgroups') }, { label: name }];
    case 'subscription': return [home, { label: 'Subscriptions', to: href('subscriptions') }, { label: name }];
    case 'resourceGroup': return [home, { label: 'Resource groups', to: href('resourcegroups') }, { label: name }];
    case 'resource': {
      const overview = /\/providers\/Microsoft\.(SignalRService|KeyVault)\//i.test(scope) ? href('resource', scope, 'overview')
        : /\/providers\/Microsoft\.ManagedIdentity\//i.test(scope) ? href('identity', scope) : undefined;
      return [home, { label: 'All resources', to: href('resources') }, { label: name, to: overview }];
    }
    default: return [home, { label: name }];
  }
}

/** The Shell navigation entry a scope's blades belong to. */
export function scopeNav(scope: string): string {
  return { root: '', managementGroup: 'managementgroups', subscription: 'subscriptions', resourceGroup: 'resourcegroups', resource: 'resources' }[scopeLevel(scope)];
}
