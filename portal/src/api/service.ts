import type { Session } from '../auth/session.ts';
import { ARM_VERSION, arm } from './http.ts';

/** Microsoft.SignalRService webPubSub / signalR, as ARM answers them (only what the blades show). */
export interface ManagedIdentity { type: string; principalId?: string; tenantId?: string; userAssignedIdentities?: Record<string, { principalId?: string; clientId?: string }> }
export interface Auth { type: 'None' | 'ManagedIdentity'; managedIdentity?: { resource: string } }
export interface EventHandler { urlTemplate: string; userEventPattern?: string; systemEvents?: string[]; auth?: Auth }
export interface Feature { flag: string; value: string; properties?: Record<string, string> }
export interface UpstreamTemplate { urlTemplate: string; hubPattern?: string; eventPattern?: string; categoryPattern?: string; auth?: Auth }
export interface ServiceDetails {
  id: string; name: string; type: string; location: string; sku?: { name: string; tier?: string; capacity?: number };
  identity?: ManagedIdentity | null;
  properties: { hostName?: string; publicPort?: number; provisioningState?: string; features?: Feature[]; upstream?: { templates?: UpstreamTemplate[] } };
}
export interface Keys { primaryKey: string; secondaryKey: string; primaryConnectionString: string; secondaryConnectionString: string }
export interface Hub { id: string; name: string; properties: { eventHandlers?: EventHandler[]; anonymousConnectPolicy?: string } }

export const isSignalR = (id: string) => /\/providers\/Microsoft\.SignalRService\/signalR\//i.test(id);
const version = (id: string) => (isSignalR(id) ? ARM_VERSION.signalR : ARM_VERSION.webPubSub);

export const getService = (s: Session, id: string) => arm<ServiceDetails>(s, 'GET', id, version(id));
export const patchService = (s: Session, id: string, body: { identity?: ManagedIdentity; properties?: Partial<ServiceDetails['properties']> }) =>
  arm<ServiceDetails>(s, 'PATCH', id, version(id), body);
export const listKeys = (s: Session, id: string) => arm<Keys>(s, 'POST', `${id}/listKeys`, version(id));
export const regenerateKey = (s: Session, id: string, keyType: 'Primary' | 'Secondary') => arm<Keys>(s, 'POST', `${id}/regenerateKey`, version(id), { keyType });
export const listHubs = (s: Session, id: string) => arm<{ value: Hub[] }>(s, 'GET', `${id}/hubs`, version(id)).then((r) => r.value);
export const putHub = (s: Session, id: string, hub: string, properties: Hub['properties']) =>
  arm<Hub>(s, 'PUT', `${id}/hubs/${encodeURIComponent(hub)}`, version(id), { properties });
export const deleteHub = (s: Session, id: string, hub: string) => arm<void>(s, 'DELETE', `${id}/hubs/${encodeURIComponent(hub)}`, version(id));
