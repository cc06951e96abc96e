import { AE } from './errors.ts';

/**
 * Azure RBAC scopes (entra-compat §5.3): `/`, management groups, subscriptions, resource groups,
 * resources (with child resources), and — a Lapis extension — hubs below a Web PubSub resource.
 * Scope strings are compared case-insensitively; `key` is the comparison form.
 */
export type ScopeLevel = 'root' | 'managementGroup' | 'subscription' | 'resourceGroup' | 'resource';

export interface ParsedScope {
  level: ScopeLevel;
  /** Canonical spelling: ARM keywords in ARM's casing, names as written, subscription GUID lower-case. */
  id: string;
  /** Lower-case `id`: what comparisons and maps use. */
  key: string;
  managementGroupId?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  /** Resource provider namespace, e.g. `Microsoft.SignalRService`. */
  provider?: string;
  /** Type/name pairs from the provider down: `[{type:'webPubSub',name:'chat'},{type:'hubs',name:'h1'}]`. */
  segments?: { type: string; name: string }[];
  /** `Microsoft.SignalRService/webPubSub/hubs` */
  resourceType?: string;
  /** The syntactic parent (a child resource's resource, a resource's group, a group's subscription). */
  parent?: string;
}

export const ROOT_SCOPE = '/';
export const MG_PREFIX = '/providers/Microsoft.Management/managementGroups/';
export { isGuid } from '../ids/index.ts';
import { isGuid } from '../ids/index.ts';

const MAX_SCOPE_LENGTH = 2048;
const MG_ID = /^[-\w.()]{1,90}$/;
const RG_NAME = /^[-\p{L}\p{N}_.()]{1,90}$/u;
export const PROVIDER_NAMESPACE = /^[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)+$/;
const RESOURCE_TYPE = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const RESOURCE_NAME = /^[-\p{L}\p{N}_.()~@]{1,260}$/u;
/** Web PubSub hub names (webpubsub-protocol §1.1). */
export const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;
const SEGMENT = /^[^\s?#%\\]+$/;

/** Resource types below which Lapis accepts `hubs/{hub}` scopes (its extension). */
const HUB_PARENTS = new Set(['microsoft.signalrservice/webpubsub']);

/**
 * Parses and validates a scope string; throws `AccessError` with ARM's code when malformed.
 * Accepts one trailing slash; refuses empty segments, unknown top levels and extension scopes.
 */
export function parseScope(input: unknown): ParsedScope {
  if (typeof input !== 'string' || input.length === 0) throw AE.invalidScope(String(input ?? ''), 'a scope is a non-empty string starting with /.');
  if (input.length > MAX_SCOPE_LENGTH) throw AE.invalidScope(input, `a scope is at most ${MAX_SCOPE_LENGTH} characters.`);
  if (!input.startsWith('/')) throw AE.invalidScope(input, "a scope starts with '/'.");
  if (input === '/') return { level: 'root', id: ROOT_SCOPE, key: ROOT_SCOPE };
  const trimmed = input.endsWith('/') ? input.slice(0, -1) : input;
  const segs = trimmed.slice(1).split('/');
  if (segs.some((s) => s === '')) throw AE.invalidScope(input, 'it has an empty segment.');
  if (segs.some((s) => !SEGMENT.test(s))) throw AE.invalidScope(input, 'a segment contains whitespace or one of ? # % \\.');
  const head = segs[0]!.toLowerCase();

  if (head === 'providers') {
    if (segs.length >= 2 && segs[1]!.toLowerCase() === 'microsoft.management' && segs[2]?.toLowerCase() === 'managementgroups') {
      if (segs.length !== 4) throw AE.invalidScope(input, 'a management group scope is /providers/Microsoft.Management/managementGroups/{groupId}.');
      const mg = segs[3]!;
      if (!MG_ID.test(mg)) throw AE.invalidScope(input, 'a management group id is 1–90 letters, digits, - _ . ( ).');
      const id = `${MG_PREFIX}${mg}`;
      return { level: 'managementGroup', id, key: id.toLowerCase(), managementGroupId: mg };
    }
    throw AE.invalidScope(input, 'the only tenant-level scopes are / and /providers/Microsoft.Management/managementGroups/{groupId}.');
  }
  if (head !== 'subscriptions') throw AE.missingSubscription();
  if (segs.length < 2) throw AE.invalidScope(input, 'a subscription scope is /subscriptions/{subscriptionId}.');
  const sub = segs[1]!;
  if (!isGuid(sub)) throw AE.invalidSubscriptionId(sub);
  const subId = `/subscriptions/${sub.toLowerCase()}`;
  if (segs.length === 2) return { level: 'subscription', id: subId, key: subId, subscriptionId: sub.toLowerCase() };
  if (segs[2]!.toLowerCase() !== 'resourcegroups') {
    if (segs[2]!.toLowerCase() === 'providers') throw AE.invalidScope(input, 'subscription-level resources are not supported by Lapis; use a resource group or a resource in one.');
    throw AE.invalidScope(input, "after the subscription comes 'resourceGroups/{name}'.");
  }
  if (segs.length < 4) throw AE.invalidScope(input, 'a resource group scope is /subscriptions/{id}/resourceGroups/{name}.');
  const rg = segs[3]!;
  if (!RG_NAME.test(rg) || rg.endsWith('.')) throw AE.invalidScope(input, 'a resource group name is 1–90 letters, digits, - _ . ( ) and does not end with a period.');
  const rgId = `${subId}/resourceGroups/${rg}`;
  const base = { subscriptionId: sub.toLowerCase(), resourceGroup: rg };
  if (segs.length === 4) return { level: 'resourceGroup', id: rgId, key: rgId.toLowerCase(), parent: subId, ...base };
  if (segs[4]!.toLowerCase() !== 'providers') throw AE.invalidScope(input, "after the resource group comes 'providers/{namespace}/{type}/{name}'.");
  if (segs.length < 8 || (segs.length - 6) % 2 !== 0) throw AE.invalidScope(input, 'a resource scope is …/providers/{namespace}/{type}/{name}[/{childType}/{childName}…].');
  const provider = segs[5]!;
  if (!PROVIDER_NAMESPACE.test(provider)) throw AE.invalidScope(input, `'${provider}' is not a resource provider namespace such as Microsoft.SignalRService.`);
  const pairs: { type: string; name: string }[] = [];
  for (let i = 6; i < segs.length; i += 2) {
    const type = segs[i]!;
    const name = segs[i + 1]!;
    if (type.toLowerCase() === 'providers') throw AE.invalidScope(input, 'extension resources (…/providers/… below a resource) are not supported by Lapis.');
    if (!RESOURCE_TYPE.test(type)) throw AE.invalidScope(input, `'${type}' is not a resource type name.`);
    if (!RESOURCE_NAME.test(name)) throw AE.invalidScope(input, `'${name}' is not a valid resource name.`);
    pairs.push({ type, name });
  }
  const typePath = `${provider}/${pairs.map((p) => p.type).join('/')}`;
  // The hub extension: exactly one level below a Web PubSub resource.
  const hubAt = pairs.findIndex((p, i) => i > 0 && p.type.toLowerCase() === 'hubs');
  if (hubAt > 0) {
    const parentType = `${provider}/${pairs[0]!.type}`.toLowerCase();
    if (hubAt !== 1 || pairs.length !== 2 || !HUB_PARENTS.has(parentType)) {
      throw AE.invalidScope(input, 'hub scopes exist only directly below a Web PubSub resource: …/providers/Microsoft.SignalRService/webPubSub/{name}/hubs/{hub}.');
    }
    if (!HUB_NAME.test(pairs[1]!.name)) throw AE.invalidScope(input, `'${pairs[1]!.name}' is not a valid hub name.`);
  }
  const id = `${rgId}/providers/${provider}/${pairs.map((p) => `${p.type}/${p.name}`).join('/')}`;
  const parent = pairs.length === 1 ? rgId : `${rgId}/providers/${provider}/${pairs.slice(0, -1).map((p) => `${p.type}/${p.name}`).join('/')}`;
  return { level: 'resource', id, key: id.toLowerCase(), ...base, provider, segments: pairs, resourceType: typePath, parent };
}

/** The comparison key of a scope string (validated). */
export function scopeKey(scope: string): string {
  return parseScope(scope).key;
}

/** Whether two scope strings name the same scope (both validated). */
export function sameScope(a: string, b: string): boolean {
  return scopeKey(a) === scopeKey(b);
}

/** The hub scope below a Web PubSub resource id (Lapis extension), e.g. for data-plane checks. */
export function hubScope(resourceId: string, hub: string): string {
  return `${resourceId.replace(/\/+$/, '')}/hubs/${hub}`;
}

/**
 * The syntactic chain from a scope up to its subscription (self first): hub → resource → resource
 * group → subscription. Management groups and `/` are added by `ScopeTree.ancestors`.
 */
export function syntacticChain(p: ParsedScope): ParsedScope[] {
  const out: ParsedScope[] = [p];
  let cur = p;
  while (cur.parent) {
    cur = parseScope(cur.parent);
    out.push(cur);
  }
  return out;
}
