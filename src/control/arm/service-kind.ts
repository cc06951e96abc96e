import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Directory } from '../../identity/index.ts';
import type { ResourceRegistry, ServiceRecords, ServiceResourceBase, ServiceResourceRecord } from '../resources.ts';
import type { ArmCaller } from './auth.ts';
import { ARM } from './errors.ts';

/**
 * What one Microsoft.SignalRService resource kind (Web PubSub, SignalR) tells the generic ARM
 * handler (service-resource.ts): its names, api-versions, RBAC actions, and how its own
 * `properties` are read from a PUT/PATCH body and written into GET answers. Everything else —
 * routing, authorisation, identity, keys, tags/sku, create/start, delete/stop — is shared.
 */
export interface ServiceKind<T extends ServiceResourceRecord, P extends object = object> {
  /** The type segment of the URL, lower-case: `webpubsub`, `signalr`. */
  segment: string;
  /** `type` in ARM answers: Microsoft.SignalRService/WebPubSub. */
  armType: string;
  /** The type as resource ids and not-found messages spell it: Microsoft.SignalRService/webPubSub. */
  idType: string;
  /** `kind` in ARM answers. */
  armKind: string;
  /** For messages: "Web PubSub", "SignalR". */
  label: string;
  apiVersions: readonly string[];
  actions: { read: string; write: string; delete: string; listKeys: string; regenerateKey: string };
  records(resources: ResourceRegistry): ServiceRecords<T>;
  idOf(sub: string, rg: string, name: string): string;
  /** zod fields of `properties` beyond the shared ones (disableLocalAuth, publicNetworkAccess, tls, read-only values). */
  propertyFields: z.ZodRawShape;
  /** The kind's part of `properties` in ARM answers. */
  propertiesJson(r: T): Record<string, unknown>;
  /** A new record from a PUT body's properties (already checked against propertyFields). */
  create(base: ServiceResourceBase, p: P | undefined, dir: Directory): T;
  /** PUT replaces the settings, PATCH changes only those it names. Throws ArmError to refuse. */
  update(current: T, p: P | undefined, method: 'PUT' | 'PATCH', dir: Directory): T;
  /** Child resources below `{name}/…` (Web PubSub hubs); undefined when the child is unknown. */
  child?(x: ChildRequest<T>): Promise<unknown> | undefined;
}

export interface ServiceRequest {
  segs: string[];
  path: string;
  method: string;
  version: string | undefined;
  caller: ArmCaller;
  req: FastifyRequest;
  reply: FastifyReply;
}

/** What a child route gets from the generic handler. */
export interface ChildRequest<T extends ServiceResourceRecord> {
  x: ServiceRequest;
  sub: string;
  rg: string;
  name: string;
  id: string;
  /** Segments after `{name}`: `['hubs', 'chat']`. */
  rest: string[];
  find(): T;
  records: ServiceRecords<T>;
  dir: Directory;
  authorize(action: string, scope: string): void;
  exclusive<R>(fn: () => Promise<R>): Promise<R>;
}

/** ARM's sku object; Lapis keeps the name and capacity asked for (they limit nothing here). */
export function skuJson(sku: ServiceResourceBase['sku']) {
  const name = sku?.name ?? 'Standard_S1';
  const [tier, size] = name.split('_') as [string, string];
  return { name, tier, size, capacity: sku?.capacity ?? 1 };
}

export function identityJson(r: ServiceResourceBase, dir: Directory) {
  if (r.identity.type === 'SystemAssigned') {
    const mi = dir.getManagedIdentityOf(r.id);
    return { type: 'SystemAssigned', principalId: mi?.principalId ?? null, tenantId: mi?.tenantId ?? r.tenantId };
  }
  if (r.identity.type === 'UserAssigned' && r.identity.userAssignedIdentity) {
    const mi = dir.findManagedIdentity({ resourceId: r.identity.userAssignedIdentity });
    return {
      type: 'UserAssigned',
      userAssignedIdentities: { [r.identity.userAssignedIdentity]: { principalId: mi?.principalId ?? null, clientId: mi?.clientId ?? null } },
    };
  }
  return { type: 'None' };
}

/**
 * How this node names a resource's origin to clients: the host, and the port for a stored (base)
 * port — `localhost` and base + offset on one node, or the load balancer's host and the base port
 * when the cluster has a public URL.
 */
export interface Advertise {
  host: string;
  port(base: number): number;
}

export const LOCAL_ADVERTISE: Advertise = { host: 'localhost', port: (base) => base };

/** ARM JSON of a resource of any kind: the shared envelope and properties, then the kind's own. */
export function serviceJson<T extends ServiceResourceRecord>(kind: ServiceKind<T, any>, r: T, dir: Directory, adv: Advertise = LOCAL_ADVERTISE) {
  const port = r.ports.https === undefined ? null : adv.port(r.ports.https);
  return {
    id: r.id,
    name: r.name,
    type: kind.armType,
    location: r.location,
    tags: r.tags ?? {},
    sku: skuJson(r.sku),
    kind: kind.armKind,
    identity: identityJson(r, dir),
    properties: {
      provisioningState: 'Succeeded',
      externalIP: '127.0.0.1',
      hostName: adv.host,
      publicPort: port,
      serverPort: port,
      version: '1.0',
      hostNamePrefix: r.name,
      privateEndpointConnections: [],
      sharedPrivateLinkResources: [],
      tls: { clientCertEnabled: false },
      publicNetworkAccess: 'Enabled',
      disableLocalAuth: r.properties.disableLocalAuth,
      ...kind.propertiesJson(r),
    },
  };
}

/** `Endpoint=https://localhost:{port};AccessKey=…;Version=1.0;`, as the SDKs parse it. */
export function keysJson(r: ServiceResourceBase, adv: Advertise = LOCAL_ADVERTISE) {
  const endpoint = r.ports.https ? `https://${adv.host}:${adv.port(r.ports.https)}` : undefined;
  const cs = (key: string) => (endpoint ? `Endpoint=${endpoint};AccessKey=${key};Version=1.0;` : null);
  return {
    primaryKey: r.accessKeys.primaryKey,
    secondaryKey: r.accessKeys.secondaryKey,
    primaryConnectionString: cs(r.accessKeys.primaryKey),
    secondaryConnectionString: cs(r.accessKeys.secondaryKey),
  };
}

/** Settings Lapis cannot honour are refused unless they say what Lapis does anyway (GET → PUT round trips). */
export const onlyValue = <V>(value: V, why: string) => z.unknown().refine((v) => v === undefined || v === null || JSON.stringify(v) === JSON.stringify(value), why).optional();

function zodPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || 'body';
}

/** Parses a body; the first problem becomes a 400 naming its property. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  throw ARM.badRequest(`${zodPath(first.path)}: ${first.message}`);
}
