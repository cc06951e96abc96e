/**
 * Records every change made through a management surface (ARM, Microsoft Graph) in the activity
 * log: a fastify `onSend` hook on that surface's routes, so a change is on record before its
 * caller gets the answer. The caller is taken from the request's token, verified again here (only
 * a verified token names a caller; requests refused for their token are not changes by anyone).
 * A store failure is logged and never fails the request it describes.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IdentityService } from '../../identity/index.ts';
import { ActivityLog } from './activity-log.ts';
import type { ActivityRecord } from './model.ts';
import { armChange, graphChange, type ChangeTarget } from './operations.ts';

export interface RecorderOptions {
  activity: ActivityLog;
  identity: IdentityService;
  surface: 'ARM' | 'Graph';
  /** Audiences the surface accepts (the token is verified for them). */
  audiences: readonly string[];
}

const CLAIM_NAMES: Record<string, string> = {
  aud: 'aud', iss: 'iss', iat: 'iat', nbf: 'nbf', exp: 'exp', appid: 'appid', azp: 'appid', name: 'name', ipaddr: 'ipaddr',
  oid: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  tid: 'http://schemas.microsoft.com/identity/claims/tenantid',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  scp: 'http://schemas.microsoft.com/identity/claims/scope',
  idtyp: 'idtyp',
};

function segmentsOf(path: string): string[] | undefined {
  try {
    return path.split('/').filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function jsonOf(payload: unknown): Record<string, unknown> | undefined {
  if (typeof payload !== 'string' || payload.length === 0 || payload.length > 512 * 1024) return undefined;
  try {
    const v: unknown = JSON.parse(payload);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function errorCodeOf(body: Record<string, unknown> | undefined): string | undefined {
  const e = body?.error as { code?: unknown } | undefined;
  return typeof e?.code === 'string' ? e.code.slice(0, 100) : undefined;
}

const header = (v: unknown): string | undefined => (typeof v === 'string' && /^[\w.-]{1,64}$/.test(v) ? v : undefined);

export function registerActivityRecorder(app: FastifyInstance, o: RecorderOptions): void {
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const method = req.method.toUpperCase();
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return payload;
    try {
      await record(o, req, reply, payload);
    } catch (err) {
      req.log.warn({ err }, 'activity log: a change could not be recorded');
    }
    return payload;
  });
}

async function record(o: RecorderOptions, req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
  const path = (req.raw.url ?? '/').split('?')[0]!;
  const tenantId = o.identity.directory.defaultTenant.id;
  const body = reply.statusCode < 300 ? undefined : jsonOf(payload);
  let target: ChangeTarget | undefined;
  if (o.surface === 'ARM') {
    const segs = segmentsOf(path);
    target = segs ? armChange(method(req), segs) : undefined;
  } else {
    const created = reply.statusCode === 201 ? jsonOf(payload)?.id : undefined;
    target = graphChange(method(req), path, tenantId, typeof created === 'string' ? created : undefined);
  }
  if (!target) return;
  const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return;
  let verified;
  try {
    verified = await o.identity.verifier.verify(token, { audiences: [...o.audiences] });
  } catch {
    return; // refused for its token: nobody's change
  }
  const p = verified.payload as Record<string, unknown>;
  const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
  const upn = str('upn') ?? str('unique_name');
  const appId = str('appid') ?? str('azp');
  const claims: Record<string, string> = {};
  for (const [k, name] of Object.entries(CLAIM_NAMES)) {
    const v = p[k];
    if (typeof v === 'string' || typeof v === 'number') claims[name] = String(v);
  }
  claims.ipaddr ??= req.ip;
  const correlationId = header(reply.getHeader('x-ms-correlation-request-id')) ?? header(req.headers['client-request-id']) ?? randomUUID();
  const r: ActivityRecord = {
    eventDataId: ActivityLog.newEventId(),
    time: new Date().toISOString(),
    tenantId,
    subscriptionId: target.subscriptionId,
    resourceGroup: target.resourceGroup,
    operationName: target.operationName,
    resourceId: target.resourceId,
    resourceProvider: target.resourceProvider,
    resourceType: target.resourceType,
    surface: o.surface,
    method: method(req),
    status: reply.statusCode < 400 ? 'Succeeded' : 'Failed',
    httpStatus: reply.statusCode,
    errorCode: errorCodeOf(body),
    correlationId,
    clientRequestId: header(req.headers['x-ms-client-request-id']) ?? header(req.headers['client-request-id']),
    caller: upn ?? appId ?? verified.principalId,
    principalId: verified.principalId.toLowerCase(),
    principalType: upn !== undefined ? 'User' : 'ServicePrincipal',
    appId,
    displayName: str('name'),
    ipAddress: req.ip,
    claims,
  };
  await o.activity.record(r);
}

const method = (req: FastifyRequest) => req.method.toUpperCase();
