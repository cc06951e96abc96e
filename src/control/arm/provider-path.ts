/**
 * The common front of a resource provider path, `/subscriptions/{sub}[/resourceGroups/{rg}]
 * /providers/{namespace}/{type}/…`, read and checked the same way for every provider Lapis serves.
 */
import { isGuid } from '../../access/index.ts';
import { ARM } from './errors.ts';

export interface ProviderPath {
  /** The subscription id, lower-cased. */
  subscription: string;
  /** The resource group, when the path has one. */
  resourceGroup: string | undefined;
  /** The segments after the namespace: `[type, name?, child…]`. */
  rest: string[];
  /** `rest[0]`: the resource type segment. */
  type: string;
  version: string;
}

export function readProviderPath(x: { segs: string[]; version: string | undefined; path: string }): ProviderPath {
  const { segs } = x;
  const sub = segs[1]!;
  if (!isGuid(sub)) throw ARM.badRequest(`The subscription id '${sub.slice(0, 60)}' is not a GUID.`);
  const atGroup = segs[2]!.toLowerCase() === 'resourcegroups';
  const rest = segs.slice(atGroup ? 6 : 4);
  const type = rest[0];
  if (!x.version) throw ARM.missingApiVersion();
  if (type === undefined) throw ARM.notFound(x.path);
  return { subscription: sub.toLowerCase(), resourceGroup: atGroup ? segs[3]! : undefined, rest, type, version: x.version };
}
