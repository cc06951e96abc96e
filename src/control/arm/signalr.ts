import { z } from 'zod';
import { corsOriginSchema, featuresSchema, upstreamTemplatesSchema, type SignalRFeature, type UpstreamTemplate } from '../../config/index.ts';
import type { Directory } from '../../identity/index.ts';
import { checkEventHandlerResources } from '../../upstream/index.ts';
import { SIGNALR_TYPE, signalRId, type SignalRProperties, type SignalRRecord } from '../resources.ts';
import { ARM } from './errors.ts';
import { onlyValue, serviceJson, type ServiceKind } from './service-kind.ts';

/**
 * Azure SignalR (`Microsoft.SignalRService/SignalR`) as a Microsoft.SignalRService kind: its
 * properties are `features` (ServiceMode Default|Serverless and the logging flags), `upstream`
 * templates for serverless mode, `cors`, `disableLocalAuth` and `disableAadAuth`. The generic
 * handler (service-resource.ts) does the rest. Feature and template checks are the config's
 * (config/signalr.ts), so both places accept and refuse the same values.
 */
export const SIGNALR_API_VERSIONS = [
  '2018-10-01', '2020-05-01', '2020-07-01-preview', '2021-04-01-preview', '2021-06-01-preview', '2021-09-01-preview',
  '2021-10-01', '2022-02-01', '2022-08-01-preview', '2023-02-01', '2023-03-01-preview', '2023-06-01-preview',
  '2023-08-01-preview', '2024-01-01-preview', '2024-03-01', '2024-04-01-preview', '2024-08-01-preview', '2024-10-01-preview',
] as const;

export const SIGNALR_ACTION = {
  read: 'Microsoft.SignalRService/SignalR/read',
  write: 'Microsoft.SignalRService/SignalR/write',
  delete: 'Microsoft.SignalRService/SignalR/delete',
  listKeys: 'Microsoft.SignalRService/SignalR/listkeys/action',
  regenerateKey: 'Microsoft.SignalRService/SignalR/regeneratekey/action',
} as const;

export const ARM_SIGNALR_TYPE = 'Microsoft.SignalRService/SignalR';

/** Azure's serverless client-connection timeout and keep-alive: only the defaults are honoured. */
const SERVERLESS = { connectionTimeoutInSeconds: 30 } as const;

const isNull = (v: unknown) => v === undefined || v === null;
const propertyFields = {
  features: featuresSchema.nullish(),
  upstream: z.strictObject({ templates: upstreamTemplatesSchema.nullish() }).nullish(),
  cors: z.looseObject({ allowedOrigins: z.array(corsOriginSchema).max(100).nullish() }).nullish(),
  disableAadAuth: z.boolean().nullish(),
  serverless: z.looseObject({
    connectionTimeoutInSeconds: z.number().int().refine((n) => n === 30, 'only the default of 30 seconds is supported by this version of Lapis').nullish(),
    keepAliveIntervalInSeconds: z.number().int().refine((n) => n === 15, 'only the default of 15 seconds is supported by this version of Lapis').nullish(),
  }).nullish(),
  networkACLs: z.unknown().refine(isNull, 'network ACLs are not supported by this version of Lapis (every client that reaches the listener may connect)').optional(),
  liveTraceConfiguration: z.unknown().refine((v) => isNull(v) || /^false$/i.test(String((v as { enabled?: unknown }).enabled)), 'live trace is not supported by this version of Lapis').optional(),
  resourceLogConfiguration: z.unknown().refine(isNull, 'resource logs are not supported by this version of Lapis (it logs to its own output)').optional(),
  regionEndpointEnabled: onlyValue('Enabled', "only 'Enabled' is supported by this version of Lapis"),
  resourceStopped: onlyValue('false', 'stopping a resource is not supported by this version of Lapis; delete it instead'),
};

interface SignalRProps {
  disableLocalAuth?: boolean | null;
  disableAadAuth?: boolean | null;
  features?: SignalRFeature[] | null;
  upstream?: { templates?: UpstreamTemplate[] | null } | null;
  cors?: { allowedOrigins?: string[] | null } | null;
}

/** A ManagedIdentity template's resource must be an application registered in the tenant (never Graph). */
function checkTemplates(dir: Directory, tenantId: string, templates: UpstreamTemplate[]): void {
  const problems = checkEventHandlerResources(dir, tenantId, templates);
  if (problems.length) throw ARM.badRequest(problems.map((q) => `properties.upstream.templates${q.path}: ${q.message}`).join('; '));
}

/** Azure: feature flags a PATCH does not name keep their values; a PUT replaces the list. */
function mergeFeatures(current: SignalRFeature[], given: SignalRFeature[] | null | undefined, method: 'PUT' | 'PATCH'): SignalRFeature[] {
  if (!given) return method === 'PUT' ? [] : current;
  if (method === 'PUT') return given;
  return [...current.filter((f) => !given.some((g) => g.flag === f.flag)), ...given];
}

function properties(current: SignalRProperties | undefined, p: SignalRProps | undefined, method: 'PUT' | 'PATCH', dir: Directory, tenantId: string): SignalRProperties {
  const keep = method === 'PATCH' && current;
  const templates = p?.upstream ? p.upstream.templates ?? [] : keep ? current.upstream.templates : [];
  if (p?.upstream?.templates) checkTemplates(dir, tenantId, templates);
  return {
    features: mergeFeatures(current?.features ?? [], p?.features, method),
    upstream: { templates },
    cors: { allowedOrigins: p?.cors?.allowedOrigins ?? (keep ? current.cors.allowedOrigins : ['*']) },
    disableLocalAuth: p?.disableLocalAuth ?? (keep ? current.disableLocalAuth : false),
    disableAadAuth: p?.disableAadAuth ?? (keep ? current.disableAadAuth : false),
  };
}

export const signalRKind: ServiceKind<SignalRRecord, SignalRProps> = {
  segment: 'signalr',
  armType: ARM_SIGNALR_TYPE,
  idType: SIGNALR_TYPE,
  armKind: 'SignalR',
  label: 'SignalR',
  apiVersions: SIGNALR_API_VERSIONS,
  actions: SIGNALR_ACTION,
  records: (resources) => resources.signalR,
  idOf: signalRId,
  propertyFields,
  propertiesJson: (r) => ({
    // Azure answers with the flags that were set; no ServiceMode flag means Default mode.
    features: r.properties.features.map((f) => ({ flag: f.flag, value: f.value, properties: f.properties ?? {} })),
    cors: { allowedOrigins: r.properties.cors.allowedOrigins },
    upstream: { templates: r.properties.upstream.templates },
    serverless: SERVERLESS,
    disableAadAuth: r.properties.disableAadAuth,
    regionEndpointEnabled: 'Enabled',
    resourceStopped: 'false',
  }),
  create: (base, p, dir) => ({ ...base, type: SIGNALR_TYPE, properties: properties(undefined, p, 'PUT', dir, base.tenantId) }),
  update: (current, p, method, dir) => ({ ...current, properties: properties(current.properties, p, method, dir, current.tenantId) }),
};

/** ARM JSON of a SignalR resource. */
export function signalRJson(r: SignalRRecord, dir: Directory) {
  return serviceJson(signalRKind, r, dir);
}
