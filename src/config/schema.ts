import { z } from 'zod';
import { parseRoleDefinitionInput, validateCustomRole } from '../access/index.ts';
import { eventHandlerSettingsSchema } from '../upstream/index.ts';
import { keyVaultResourceSchema } from '../vault/index.ts';
import { corsOriginSchema, featuresSchema, upstreamTemplatesSchema } from './signalr.ts';

/**
 * The declarative world file (DESIGN.md "The config file"). Property names follow ARM/Bicep for
 * resources and Microsoft Graph for applications; the only additions are values a test must know
 * in advance (secret text, access keys, ports). Anything this version cannot honour is refused
 * with the JSON path rather than ignored.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const guid = z.string().regex(GUID, 'expected a GUID such as 00000000-0000-0000-0000-000000000000');
const name = (max: number, re: RegExp, what: string) => z.string().min(1).max(max).regex(re, what);
const resourceGroupName = name(90, /^[-\w._()]+$/, 'expected a resource group name (letters, digits, - _ . ( ))');
const port = z.number().int().min(0).max(65535);
const domainName = name(253, /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'expected a DNS domain name');
const text = (max: number) => z.string().min(1).max(max);

/** ISO-8601 date-time, as Graph uses for credential validity. */
const dateTime = z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 date-time');

const passwordCredential = z.strictObject({
  displayName: text(256).optional(),
  /** The secret's value; hashed when loaded, never stored as text. */
  secretText: z.string().min(16, 'a client secret must be at least 16 characters').max(512),
  keyId: guid.optional(),
  startDateTime: dateTime.optional(),
  endDateTime: dateTime.optional(),
});

const keyCredential = z.strictObject({
  type: z.literal('AsymmetricX509Cert'),
  usage: z.literal('Verify').optional(),
  displayName: text(256).optional(),
  keyId: guid.optional(),
  /** PEM (or base64 DER, as Graph takes it) of the certificate; only the public part. */
  key: z.string().min(64).max(64 * 1024),
});

/** An absolute URI with a scheme (https, http for loopback, or a native app's custom scheme). */
const redirectUri = text(2048).refine((u) => /^[a-z][a-z0-9+.-]*:[^\s]+$/i.test(u), 'expected an absolute redirect URI such as http://localhost or https://app.example/callback');

const application = z.strictObject({
  displayName: text(256),
  appId: guid.optional(),
  /** Object id of the application object; its service principal gets its own. */
  id: guid.optional(),
  tenantId: guid.optional(),
  identifierUris: z.array(text(256).refine((u) => /^[a-z][a-z0-9+.-]*:\/\/?[^\s]+$/i.test(u), 'expected an Application ID URI such as api://name')).max(50).optional(),
  isFallbackPublicClient: z.boolean().optional(),
  /** Graph's api.requestedAccessTokenVersion: which token format this app receives as a resource. */
  api: z.strictObject({ requestedAccessTokenVersion: z.union([z.literal(1), z.literal(2), z.null()]).optional() }).optional(),
  passwordCredentials: z.array(passwordCredential).max(20).optional(),
  keyCredentials: z.array(keyCredential).max(20).optional(),
  /** Graph's redirect URI platforms, for the interactive sign-in (authorize endpoint); `http://localhost` matches any port. */
  publicClient: z.strictObject({ redirectUris: z.array(redirectUri).max(256) }).optional(),
  web: z.strictObject({ redirectUris: z.array(redirectUri).max(256), logoutUrl: redirectUri.optional() }).optional(),
  spa: z.strictObject({ redirectUris: z.array(redirectUri).max(256) }).optional(),
});

const user = z.strictObject({
  userPrincipalName: text(113).regex(/^[^@\s]+@[^@\s]+$/, 'expected user@domain'),
  displayName: text(256).optional(),
  id: guid.optional(),
  tenantId: guid.optional(),
  password: z.string().min(8, 'a password must be at least 8 characters').max(256),
});

const userAssignedIdentity = z.strictObject({
  name: name(128, /^[A-Za-z0-9][-\w]{2,127}$/, 'expected 3–128 letters, digits, - or _ starting with a letter or digit'),
  resourceGroup: resourceGroupName,
  subscriptionId: guid.optional(),
  clientId: guid.optional(),
  principalId: guid.optional(),
});

const resourceIdentity = z.strictObject({
  type: z.enum(['None', 'SystemAssigned', 'UserAssigned']),
  userAssignedIdentities: z.record(z.string().max(512), z.strictObject({})).optional(),
});

const hub = z.strictObject({
  name: name(128, /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/, 'expected a hub name: a letter, then letters, digits or _`,.[]'),
  properties: z.strictObject({
    anonymousConnectPolicy: z.enum(['allow', 'deny']).optional(),
    eventHandlers: eventHandlerSettingsSchema.optional(),
    eventListeners: z.array(z.unknown()).max(0, 'event listeners are not supported by this version of Lapis').optional(),
  }).optional(),
});

const accessKeys = z.strictObject({
  primaryKey: z.string().min(16, 'an access key must be at least 16 characters').max(256),
  secondaryKey: z.string().min(16, 'an access key must be at least 16 characters').max(256),
});

const webPubSub = z.strictObject({
  type: z.string().regex(/^Microsoft\.SignalRService\/webPubSub$/i),
  name: name(63, /^[a-zA-Z][a-zA-Z0-9-]{1,61}[a-zA-Z0-9]$/, 'expected 3–63 letters, digits or hyphens, starting with a letter'),
  resourceGroup: resourceGroupName,
  subscriptionId: guid.optional(),
  location: text(64).optional(),
  identity: resourceIdentity.optional(),
  ports: z.strictObject({ https: port.optional(), http: port.optional() }).optional(),
  properties: z.strictObject({ disableLocalAuth: z.boolean().optional() }).optional(),
  accessKeys: accessKeys.optional(),
  hubs: z.array(hub).max(1000).optional(),
  /** Lapis addition (Azure sizes by units): the most concurrent client connections. */
  limits: z.strictObject({ maxConnections: z.number().int().min(1).max(1_000_000).optional() }).optional(),
});

/** An Azure SignalR resource (ARM `Microsoft.SignalRService/signalR`); checks shared with ARM in signalr.ts. */
const signalR = z.strictObject({
  type: z.string().regex(/^Microsoft\.SignalRService\/signalR$/i),
  name: name(63, /^[a-zA-Z][a-zA-Z0-9-]{1,61}[a-zA-Z0-9]$/, 'expected 3–63 letters, digits or hyphens, starting with a letter'),
  resourceGroup: resourceGroupName,
  subscriptionId: guid.optional(),
  location: text(64).optional(),
  identity: resourceIdentity.optional(),
  ports: z.strictObject({ https: port.optional(), http: port.optional() }).optional(),
  accessKeys: accessKeys.optional(),
  tags: z.record(z.string().min(1).max(512), z.string().max(256)).refine((t) => Object.keys(t).length <= 50, 'at most 50 tags').optional(),
  sku: z.strictObject({
    name: z.enum(['Free_F1', 'Standard_S1', 'Premium_P1', 'Premium_P2'], { message: 'expected Free_F1, Standard_S1, Premium_P1 or Premium_P2' }),
    capacity: z.number().int().min(1).max(1000).optional(),
  }).optional(),
  properties: z.strictObject({
    /** ServiceMode (Default, Serverless) and the logging flags; Default mode when absent, as in Azure. */
    features: featuresSchema.optional(),
    upstream: z.strictObject({ templates: upstreamTemplatesSchema.optional() }).optional(),
    cors: z.strictObject({ allowedOrigins: z.array(corsOriginSchema).max(100).optional() }).optional(),
    disableLocalAuth: z.boolean().optional(),
    disableAadAuth: z.boolean().optional(),
  }).optional(),
  /**
   * Lapis addition (Azure sizes by units): the most concurrent client connections; default mode's
   * app-server connections (Azure: 5000) and how long one may stay silent before it is dropped.
   */
  limits: z.strictObject({
    maxConnections: z.number().int().min(1).max(1_000_000).optional(),
    maxServerConnections: z.number().int().min(1).max(100_000).optional(),
    serverConnectionTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
  }).optional(),
});

const resource = z.unknown().transform((value, ctx) => {
  const type = (value as { type?: unknown } | null)?.type;
  const t = typeof type === 'string' ? type : '';
  const schema = /^Microsoft\.SignalRService\/webPubSub$/i.test(t) ? webPubSub
    : /^Microsoft\.KeyVault\/vaults$/i.test(t) ? keyVaultResourceSchema
      : /^Microsoft\.SignalRService\/signalR$/i.test(t) ? signalR
        : null;
  if (!schema) {
    ctx.addIssue({ code: 'custom', message: 'expected a resource type: Microsoft.SignalRService/webPubSub, Microsoft.SignalRService/signalR or Microsoft.KeyVault/vaults', path: ['type'] });
    return z.NEVER;
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: issue.path } as never);
    return z.NEVER;
  }
  return r.data as z.infer<typeof webPubSub> | z.infer<typeof signalR> | z.infer<typeof keyVaultResourceSchema>;
});

const managementGroupName = name(90, /^[\w.()-]+$/, 'expected a management group id (letters, digits, - _ . ( ))');

const managementGroup = z.strictObject({
  name: managementGroupName,
  displayName: text(256).optional(),
  /** The parent group; absent: directly below the tenant root group. */
  parent: managementGroupName.optional(),
  subscriptions: z.array(guid).max(1000).optional(),
});

/** A custom role in Azure's shape (REST `roleName`/`permissions` or PowerShell `Name`/`Actions`), validated as Azure does. */
const roleDefinition = z.unknown().superRefine((value, ctx) => {
  try {
    validateCustomRole(parseRoleDefinitionInput(value));
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const principalRef = z.union([
  z.string().min(1).max(256),
  z.strictObject({ systemAssignedIdentityOf: text(63) }),
]);

const roleAssignment = z.strictObject({
  /** Display name, appId/clientId, object id, user principal name, identity name, or the system identity of a resource. */
  principal: principalRef,
  roleDefinitionName: text(256).optional(),
  roleDefinitionId: text(256).optional(),
  scope: z.string().min(1).max(1024),
  description: z.string().max(1024).optional(),
  /** ARM's name of the assignment (a GUID); derived from the rest when absent. */
  name: guid.optional(),
}).refine((a) => (a.roleDefinitionName === undefined) !== (a.roleDefinitionId === undefined), 'give exactly one of roleDefinitionName and roleDefinitionId');

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  tenantId: guid.optional(),
  /** Verified domains of the default tenant (first one is the initial domain). */
  domains: z.array(domainName).max(20).optional(),
  tenants: z.array(z.strictObject({ tenantId: guid, displayName: text(256).optional(), domains: z.array(domainName).max(20).optional() })).max(50).optional(),
  subscriptionId: guid.optional(),
  /** Upstream calls: private (RFC 1918, link-local) targets are refused unless allowed here; loopback always works. */
  upstream: z.strictObject({ allowPrivateTargets: z.boolean().optional() }).optional(),
  /** Smart lockout of repeated failed sign-ins per user and per client (docs/identity.md). */
  signInLockout: z.strictObject({
    threshold: z.number().int().min(1).max(1000).optional(),
    durationSeconds: z.number().int().min(1).max(86_400).optional(),
    maxDurationSeconds: z.number().int().min(1).max(86_400).optional(),
  }).optional(),
  /** Activity log retention (docs/management.md#activity-log): at most this many events, none older than this many days. */
  activityLog: z.strictObject({
    maxEvents: z.number().int().min(100).max(1_000_000).optional(),
    maxDays: z.number().int().min(1).max(365).optional(),
  }).optional(),
  /** Extra DNS names or IPs the HTTPS certificate must cover (for access through a proxy or DNS). */
  tlsNames: z.array(text(253)).max(20).optional(),
  applications: z.array(application).max(1000).optional(),
  users: z.array(user).max(1000).optional(),
  userAssignedIdentities: z.array(userAssignedIdentity).max(1000).optional(),
  resources: z.array(resource).max(100).optional(),
  managementGroups: z.array(managementGroup).max(100).optional(),
  roleDefinitions: z.array(roleDefinition).max(1000).optional(),
  roleAssignments: z.array(roleAssignment).max(5000).optional(),
});

export type LapisConfig = z.infer<typeof configSchema>;
export type ApplicationConfig = z.infer<typeof application>;
export type UserConfig = z.infer<typeof user>;
export type UserAssignedIdentityConfig = z.infer<typeof userAssignedIdentity>;
export type WebPubSubConfig = z.infer<typeof webPubSub>;
export type KeyVaultResourceConfig = z.infer<typeof keyVaultResourceSchema>;
export type SignalRConfig = z.infer<typeof signalR>;
export type ResourceConfig = WebPubSubConfig | SignalRConfig | KeyVaultResourceConfig;
export const isKeyVault = (r: ResourceConfig): r is KeyVaultResourceConfig => /^Microsoft\.KeyVault\/vaults$/i.test(r.type);
export const isSignalR = (r: ResourceConfig): r is SignalRConfig => /^Microsoft\.SignalRService\/signalR$/i.test(r.type);
export const isWebPubSub = (r: ResourceConfig): r is WebPubSubConfig => /^Microsoft\.SignalRService\/webPubSub$/i.test(r.type);
export type RoleAssignmentConfig = z.infer<typeof roleAssignment>;
