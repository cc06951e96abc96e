/**
 * Upstream event handlers of a Web PubSub resource. Wiring, per resource:
 *
 *   const upstream = createUpstream({ resourceName, resourceId, publicEndpoint, getAccessKeys,
 *     getEventHandlers, identity, getManagedIdentity, vaultOrigins, allowPrivateTargets, ca, log });
 *   new WebPubSubService({ …, events: upstream });   // ClientEventHooks
 *   …on stop: await upstream.close();
 */
import { FIRST_PARTY_RESOURCES } from '../identity/index.ts';
import type { Directory, ManagedIdentity } from '../identity/index.ts';
import { UpstreamDispatcher } from './dispatcher.ts';
import type { UpstreamOptions } from './options.ts';

export { UpstreamDispatcher } from './dispatcher.ts';
export type { HandlerStatus, UpstreamLimits, UpstreamOptions, UpstreamTiming } from './options.ts';
export {
  EventHandlerSettingsError,
  HandlerUnavailable,
  HttpCallError,
  KeyVaultReferenceError,
  ManagedIdentityUnavailable,
  TargetRefused,
  UPSTREAM_ERROR_CODES,
  UpstreamError,
} from './errors.ts';
export type { UpstreamErrorCode } from './errors.ts';
// The protocol-neutral transport a second upstream (SignalR serverless) composes with its own
// request shape: `new UpstreamTransport(…)`, then `targets.resolve` + `delivery.send(target, request)`.
export { UpstreamTransport } from './transport.ts';
export type { UpstreamTransportOptions } from './transport.ts';
export { Delivery, BackgroundQueue } from './delivery.ts';
export type { DeliveryObserver, DeliveryResult, DeliveryTarget, UpstreamRequest } from './delivery.ts';
export { TargetResolver } from './target-resolver.ts';
export type { ResolvedTarget, TargetTemplate } from './target-resolver.ts';
export { SignatureCache } from './signature.ts';
export {
  compileHandler,
  eventHandlerSchema,
  eventHandlerSettingsSchema,
  parseKeyVaultReference,
  parseTemplateParts,
  parseUserEventPattern,
  SYSTEM_EVENTS,
  validateUrlTemplate,
} from './settings.ts';
export type { EventHandlerAuth, EventHandlerConfig, EventHandlerSettings, KeyVaultReference, SystemEvent, TemplatePart } from './settings.ts';
export { classifyAddress, refuseAddress } from './targets.ts';
export { VAULT_AUDIENCE } from './keyvault.ts';
// SignalR serverless mode's upstream (X-ASRS-* requests), composed from the transport above.
export * from './signalr/index.ts';

export function createUpstream(options: UpstreamOptions): UpstreamDispatcher {
  return new UpstreamDispatcher(options);
}

/**
 * The managed identity a resource uses now: its system-assigned one (keyed by the resource id), or
 * its one user-assigned identity. Pass as `getManagedIdentity: () => managedIdentityOf(dir, record)`.
 */
export function managedIdentityOf(
  directory: Directory,
  resource: { id: string; identity: { type: 'None' | 'SystemAssigned' | 'UserAssigned'; userAssignedIdentity?: string | undefined } },
): ManagedIdentity | undefined {
  if (resource.identity.type === 'SystemAssigned') return directory.getManagedIdentityOf(resource.id);
  if (resource.identity.type === 'UserAssigned' && resource.identity.userAssignedIdentity) {
    const mi = directory.findManagedIdentity({ resourceId: resource.identity.userAssignedIdentity });
    return mi?.type === 'UserAssigned' ? mi : undefined;
  }
  return undefined;
}

/**
 * Config-time check of a hub's handlers against the directory: a ManagedIdentity `resource` must be
 * an application (appId or Application ID URI) registered in the tenant, or a first-party resource.
 * Returns one message per problem, each with its path relative to the handler list.
 */
export function checkEventHandlerResources(
  directory: Directory,
  tenantId: string,
  handlers: readonly { auth?: { type: string; managedIdentity?: { resource: string } } | undefined }[],
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  for (const [i, h] of handlers.entries()) {
    if (h.auth?.type !== 'ManagedIdentity') continue;
    const resource = h.auth.managedIdentity?.resource ?? '';
    const bare = resource.replace(/\/+$/, '').toLowerCase();
    if ((FIRST_PARTY_RESOURCES as readonly string[]).includes(bare) && bare !== 'https://graph.microsoft.com') continue;
    if (!directory.findResourceApplication(tenantId, resource)) {
      problems.push({
        path: `[${i}].auth.managedIdentity.resource`,
        message: `'${resource.slice(0, 200)}' is neither the Application ID nor an Application ID URI of an application registered in tenant ${tenantId}`,
      });
    }
  }
  return problems;
}
