/**
 * What a management request changes, named as Azure's activity log names it: the operation
 * (`{namespace}/{type}[/{child type}]/write|delete|{action}/action`) and the resource id, derived
 * from the ARM path and method; Graph changes get `microsoft.directory/{collection}/create|update|
 * delete|{action}/action` on `/tenants/{tid}/providers/microsoft.directory/{collection}/{id}`.
 * Reads (GET, HEAD) and Lapis's own read-only POST (explainAccess) are not changes.
 */
export interface ChangeTarget {
  operationName: string;
  resourceId: string;
  resourceProvider: string;
  resourceType: string;
  subscriptionId?: string | undefined;
  resourceGroup?: string | undefined;
}

const WRITES = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

/** `segs` are the decoded path segments (no empty ones). */
export function armChange(method: string, segs: readonly string[]): ChangeTarget | undefined {
  const m = method.toUpperCase();
  if (!WRITES.has(m) || segs.length === 0) return undefined;
  const lower = segs.map((s) => s.toLowerCase());
  const subscriptionId = lower[0] === 'subscriptions' ? segs[1] : undefined;
  const resourceGroup = lower[0] === 'subscriptions' && lower[2] === 'resourcegroups' ? segs[3] : undefined;
  let at = -1;
  for (let i = segs.length - 2; i >= 0; i--) if (lower[i] === 'providers') { at = i; break; }
  let namespace: string;
  let rest: string[];
  if (at >= 0) {
    namespace = segs[at + 1]!;
    rest = segs.slice(at + 2);
  } else {
    namespace = 'Microsoft.Resources';
    rest = [...segs];
  }
  if (namespace.toLowerCase() === 'microsoft.lapis') return undefined; // explainAccess: a question, not a change
  if (namespace.toLowerCase() === 'microsoft.insights' && lower.includes('eventtypes')) return undefined;
  const types: string[] = [];
  let action: string | undefined;
  for (let i = 0; i < rest.length; i += 2) {
    if (i + 1 < rest.length) types.push(rest[i]!);
    else if (m === 'POST') action = rest[i];
    else types.push(rest[i]!);
  }
  if (types.length === 0) return undefined;
  const idSegs = action === undefined ? segs : segs.slice(0, segs.length - 1);
  const resourceType = `${namespace}/${types.join('/')}`;
  const verb = action !== undefined ? `${action}/action` : m === 'DELETE' ? 'delete' : 'write';
  return {
    operationName: `${resourceType}/${verb}`,
    resourceId: `/${idSegs.join('/')}`,
    resourceProvider: namespace,
    resourceType,
    subscriptionId,
    resourceGroup,
  };
}

const GRAPH_PATH = /^\/v1\.0\/([A-Za-z]+)(?:(?:\(appId='([^'/]{1,100})'\))|\/([^/?]{1,200}))?(?:\/([A-Za-z]+))?\/?$/;

/** `path` is the raw path (no query); `createdId` is the id in a creation's answer. */
export function graphChange(method: string, path: string, tenantId: string, createdId?: string): ChangeTarget | undefined {
  const m = method.toUpperCase();
  if (!WRITES.has(m)) return undefined;
  const match = GRAPH_PATH.exec(path);
  if (!match) return undefined;
  const collection = match[1]!;
  let id = match[2] ?? match[3];
  try {
    if (id !== undefined) id = decodeURIComponent(id);
  } catch { /* kept as sent */ }
  const action = match[4];
  let verb: string;
  if (action !== undefined) verb = `${action}/action`;
  else if (id === undefined) verb = m === 'POST' ? 'create' : 'update';
  else verb = m === 'DELETE' ? 'delete' : 'update';
  const target = id ?? createdId;
  const resourceType = `microsoft.directory/${collection}`;
  return {
    operationName: `${resourceType}/${verb}`,
    resourceId: `/tenants/${tenantId}/providers/microsoft.directory/${collection}${target !== undefined ? `/${target}` : ''}`,
    resourceProvider: 'microsoft.directory',
    resourceType,
  };
}

/** Azure's display names for the operations people meet most; others show their operation name. */
const DISPLAY: Record<string, string> = {
  'microsoft.authorization/roleassignments/write': 'Create role assignment',
  'microsoft.authorization/roleassignments/delete': 'Delete role assignment',
  'microsoft.authorization/roledefinitions/write': 'Create or update custom role definition',
  'microsoft.authorization/roledefinitions/delete': 'Delete custom role definition',
  'microsoft.signalrservice/webpubsub/write': 'Create or update Web PubSub',
  'microsoft.signalrservice/webpubsub/delete': 'Delete Web PubSub',
  'microsoft.signalrservice/webpubsub/listkeys/action': 'List Web PubSub keys',
  'microsoft.signalrservice/webpubsub/regeneratekey/action': 'Regenerate Web PubSub key',
  'microsoft.signalrservice/webpubsub/hubs/write': 'Create or update hub settings',
  'microsoft.signalrservice/webpubsub/hubs/delete': 'Delete hub settings',
  'microsoft.signalrservice/signalr/write': 'Create or update SignalR',
  'microsoft.signalrservice/signalr/delete': 'Delete SignalR',
  'microsoft.signalrservice/signalr/listkeys/action': 'List SignalR keys',
  'microsoft.signalrservice/signalr/regeneratekey/action': 'Regenerate SignalR key',
  'microsoft.keyvault/vaults/write': 'Create or update key vault',
  'microsoft.keyvault/vaults/delete': 'Delete key vault',
  'microsoft.keyvault/vaults/accesspolicies/write': 'Update key vault access policies',
  'microsoft.directory/applications/create': 'Add application',
  'microsoft.directory/applications/update': 'Update application',
  'microsoft.directory/applications/delete': 'Delete application',
  'microsoft.directory/applications/addpassword/action': 'Add application client secret',
  'microsoft.directory/applications/removepassword/action': 'Remove application client secret',
  'microsoft.directory/users/create': 'Add user',
  'microsoft.directory/users/update': 'Update user',
  'microsoft.directory/users/delete': 'Delete user',
};

export function operationDisplayName(operationName: string): string {
  return DISPLAY[operationName.toLowerCase()] ?? operationName;
}
