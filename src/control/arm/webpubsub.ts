import { z } from 'zod';
import type { Directory } from '../../identity/index.ts';
import { checkEventHandlerResources, eventHandlerSettingsSchema, type EventHandlerSettings } from '../../upstream/index.ts';
import { WEBPUBSUB_TYPE, webPubSubId, type HubRecord, type ResourceRecord } from '../resources.ts';
import { ARM } from './errors.ts';
import { onlyValue, parseBody, serviceJson, type ChildRequest, type ServiceKind } from './service-kind.ts';
import { ASSIGN_IDENTITY_ACTION, signalRServiceArm, type ServiceArmDeps } from './service-resource.ts';

/**
 * Web PubSub as a Microsoft.SignalRService kind (api-version 2024-03-01 and the other GA/preview
 * versions the Azure SDKs send): its properties (disableLocalAuth; Entra auth always on), the
 * Salt key type, and its hubs child:
 *
 *   GET    …/webPubSub/{name}/hubs       GET|PUT|DELETE …/webPubSub/{name}/hubs/{hub}
 */
export const WEBPUBSUB_API_VERSIONS = [
  '2021-10-01', '2022-08-01-preview', '2023-02-01', '2023-03-01-preview', '2023-06-01-preview', '2023-08-01-preview',
  '2024-01-01-preview', '2024-03-01', '2024-04-01-preview', '2024-08-01-preview', '2024-10-01-preview',
] as const;

/** Microsoft.SignalRService operations (Azure's resource provider operations list). */
export const WPS_ACTION = {
  read: 'Microsoft.SignalRService/WebPubSub/read',
  write: 'Microsoft.SignalRService/WebPubSub/write',
  delete: 'Microsoft.SignalRService/WebPubSub/delete',
  listKeys: 'Microsoft.SignalRService/WebPubSub/listkeys/action',
  regenerateKey: 'Microsoft.SignalRService/WebPubSub/regeneratekey/action',
  hubsRead: 'Microsoft.SignalRService/WebPubSub/hubs/read',
  hubsWrite: 'Microsoft.SignalRService/WebPubSub/hubs/write',
  hubsDelete: 'Microsoft.SignalRService/WebPubSub/hubs/delete',
  assignIdentity: ASSIGN_IDENTITY_ACTION,
} as const;

export const ARM_WEBPUBSUB_TYPE = 'Microsoft.SignalRService/WebPubSub';
export const ARM_HUB_TYPE = 'Microsoft.SignalRService/WebPubSub/hubs';

const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;
const KEEP_ALIVE_DEFAULT = 20;

const propertyFields = {
  disableAadAuth: onlyValue(false, 'Microsoft Entra authentication cannot be turned off in this version of Lapis'),
};
type WebPubSubProps = { disableLocalAuth?: boolean | null };

const hubBody = z.looseObject({
  properties: z.looseObject({
    eventHandlers: eventHandlerSettingsSchema.nullish(),
    anonymousConnectPolicy: z.string().max(10).refine((s) => /^(allow|deny)$/i.test(s), "expected 'allow' or 'deny'").nullish(),
    eventListeners: z.array(z.unknown()).max(0, 'event listeners are not supported by this version of Lapis').nullish(),
    webSocketKeepAliveIntervalInSeconds: z.number().int().refine((n) => n === KEEP_ALIVE_DEFAULT, `only the default of ${KEEP_ALIVE_DEFAULT} seconds is supported by this version of Lapis`).nullish(),
  }),
});

export const webPubSubKind: ServiceKind<ResourceRecord, WebPubSubProps> = {
  segment: 'webpubsub',
  armType: ARM_WEBPUBSUB_TYPE,
  idType: WEBPUBSUB_TYPE,
  armKind: 'WebPubSub',
  label: 'Web PubSub',
  apiVersions: WEBPUBSUB_API_VERSIONS,
  actions: WPS_ACTION,
  records: (resources) => resources.webPubSub,
  idOf: webPubSubId,
  propertyFields,
  propertiesJson: () => ({ disableAadAuth: false }),
  create: (base, p) => ({
    ...base, type: WEBPUBSUB_TYPE, properties: { disableLocalAuth: p?.disableLocalAuth ?? false }, hubs: {},
  }),
  update: (current, p, method) => ({
    ...current,
    properties: { ...current.properties, disableLocalAuth: p?.disableLocalAuth ?? (method === 'PUT' ? false : current.properties.disableLocalAuth) },
  }),
  child: (c) => (c.rest[0]!.toLowerCase() === 'hubs' && c.rest.length <= 2 ? hubs(c, c.rest[1]) : undefined),
};

/** ARM JSON of a Web PubSub resource. */
export function webPubSubJson(r: ResourceRecord, dir: Directory) {
  return serviceJson(webPubSubKind, r, dir);
}

export function hubJson(r: ResourceRecord, h: HubRecord) {
  return {
    id: `${r.id}/hubs/${h.name}`,
    name: h.name,
    type: ARM_HUB_TYPE,
    properties: {
      eventHandlers: h.properties.eventHandlers ?? [],
      eventListeners: [],
      anonymousConnectPolicy: h.properties.anonymousConnectPolicy ?? 'deny',
      webSocketKeepAliveIntervalInSeconds: KEEP_ALIVE_DEFAULT,
    },
  };
}

async function hubs(c: ChildRequest<ResourceRecord>, hub: string | undefined): Promise<unknown> {
  const { method, reply } = c.x;
  if (hub === undefined) {
    if (method !== 'GET') throw ARM.methodNotAllowed(method);
    c.authorize(WPS_ACTION.hubsRead, c.id);
    const r = c.find();
    return { value: Object.values(r.hubs).sort((a, b) => a.name.localeCompare(b.name)).map((h) => hubJson(r, h)), nextLink: null };
  }
  const scope = `${c.id}/hubs/${hub}`;
  if (method === 'GET') {
    c.authorize(WPS_ACTION.hubsRead, scope);
    const r = c.find();
    const h = r.hubs[hub.toLowerCase()];
    if (!h) throw ARM.resourceNotFound(c.rg, `Microsoft.SignalRService/webPubSub/${r.name}/hubs`, hub);
    return hubJson(r, h);
  }
  const resources = c.records;
  if (method === 'DELETE') {
    c.authorize(WPS_ACTION.hubsDelete, scope);
    return c.exclusive(async () => {
      const r = c.find();
      if (!r.hubs[hub.toLowerCase()]) return reply.code(204).send();
      // Compare-and-swap on what is stored now: a hub changed through another node meanwhile is kept.
      await resources.update(r.name, (cur) => {
        if (!cur.hubs[hub.toLowerCase()]) return undefined;
        const rest = { ...cur.hubs };
        delete rest[hub.toLowerCase()];
        return { ...cur, hubs: rest };
      });
      return reply.code(200).send();
    });
  }
  if (method !== 'PUT') throw ARM.methodNotAllowed(method);
  c.authorize(WPS_ACTION.hubsWrite, scope);
  if (!HUB_NAME.test(hub)) throw ARM.invalidHubName(hub);
  const p = parseBody(hubBody, c.x.req.body).properties;
  const handlers = (p.eventHandlers ?? undefined) as EventHandlerSettings[] | undefined;
  return c.exclusive(async () => {
    const r = c.find();
    // A ManagedIdentity handler's resource must be an application registered in the tenant (never Graph).
    const problems = handlers ? checkEventHandlerResources(c.dir, r.tenantId, handlers) : [];
    if (problems.length) throw ARM.badRequest(problems.map((q) => `properties.eventHandlers${q.path}: ${q.message}`).join('; '));
    const h: HubRecord = {
      name: hub,
      properties: {
        anonymousConnectPolicy: p.anonymousConnectPolicy ? (p.anonymousConnectPolicy.toLowerCase() as 'allow' | 'deny') : undefined,
        eventHandlers: handlers?.length ? handlers : undefined,
      },
    };
    let created = !r.hubs[hub.toLowerCase()];
    const next = await resources.update(r.name, (cur) => {
      created = !cur.hubs[hub.toLowerCase()];
      return { ...cur, hubs: { ...cur.hubs, [hub.toLowerCase()]: h } };
    });
    if (!next) throw ARM.resourceNotFound(c.rg, WEBPUBSUB_TYPE, r.name);
    return reply.code(created ? 201 : 200).send(hubJson(next, h));
  });
}

/** The Microsoft.SignalRService API for Web PubSub alone (routes.ts serves every kind). */
export function webPubSubArm(deps: ServiceArmDeps) {
  return signalRServiceArm(deps, [webPubSubKind]);
}
