/**
 * The live trace stream and the upstream inspector of a Web PubSub or SignalR resource, as ARM
 * extension resources of the Lapis provider below the resource (like Microsoft.Authorization's):
 *
 *   GET  {resource id}/providers/Microsoft.Lapis/liveTrace?api-version=…[&hub=&category=…]   SSE stream
 *   GET  {resource id}/providers/Microsoft.Lapis/upstreamCalls?api-version=…                  captured calls
 *   GET  {resource id}/providers/Microsoft.Lapis/upstreamCalls/{id}?api-version=…
 *   POST {resource id}/providers/Microsoft.Lapis/upstreamCalls/{id}/replay?api-version=…
 *
 * Reading needs the DataAction Azure's live trace checks for Microsoft Entra callers
 * (`Microsoft.SignalRService/WebPubSub/livetrace/read`, `…/SignalR/livetrace/read`) or the
 * right to list the access keys (with which Azure's live trace tool connects). Replay sends a
 * request to the application's handler again: it needs the resource's write action.
 * What is seen is what this node saw (docs/live-trace.md).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessControl } from '../../access/index.ts';
import { NotReplayableError, streamToResponse, UnknownCallError, type ResourceTrace, type TraceBus, type TraceEvent } from '../../trace/index.ts';
import type { ArmCaller } from './auth.ts';
import { ARM, ArmError, SUPPORTED_API_VERSIONS } from './errors.ts';

interface Kind { armType: string; dataActionPrefix: string; actionPrefix: string }
const KINDS: Record<string, Kind> = {
  webpubsub: { armType: 'Microsoft.SignalRService/webPubSub', dataActionPrefix: 'Microsoft.SignalRService/WebPubSub', actionPrefix: 'Microsoft.SignalRService/WebPubSub' },
  signalr: { armType: 'Microsoft.SignalRService/signalR', dataActionPrefix: 'Microsoft.SignalRService/SignalR', actionPrefix: 'Microsoft.SignalRService/SignalR' },
};

export const TRACE_ERRORS = {
  tooManyViewers: () => new ArmError(429, 'TooManyLiveTraceViewers', 'This resource already has as many live trace viewers on this node as it may; close one and try again.'),
  callNotFound: (id: string) => new ArmError(404, 'UpstreamCallNotFound', `No captured upstream call '${id.slice(0, 64)}' on this node: it was never captured here or is no longer among the kept ones.`),
  notReplayable: (id: string) => new ArmError(409, 'UpstreamCallNotReplayable', `The upstream call '${id.slice(0, 64)}' cannot be replayed: its body was too large to keep, or its event handler could not be resolved.`),
  replayFailed: (message: string) => new ArmError(502, 'UpstreamReplayFailed', `The event could not be sent again: ${message.slice(0, 300)}`),
  invalidFilter: (name: string) => new ArmError(400, 'InvalidTraceFilter', `The trace filter '${name.slice(0, 40)}' is too long or not valid.`),
};

/** `subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.SignalRService/{kind}/{name}/providers/Microsoft.Lapis/…` */
export function isTracePath(segs: string[]): boolean {
  const l = (i: number) => segs[i]?.toLowerCase();
  return segs.length >= 11 && l(0) === 'subscriptions' && l(2) === 'resourcegroups' && l(4) === 'providers' && l(5) === 'microsoft.signalrservice'
    && (l(6) === 'webpubsub' || l(6) === 'signalr') && l(8) === 'providers' && l(9) === 'microsoft.lapis';
}

const FILTERS = ['hub', 'connectionId', 'userId', 'group', 'category', 'event', 'status'] as const;

export function traceApi(deps: { access: AccessControl; trace: TraceBus }) {
  const allowed = (caller: ArmCaller, scope: string, kind: Kind): boolean => {
    try {
      return deps.access.check({ principalId: caller.principalId, scope, dataAction: `${kind.dataActionPrefix}/livetrace/read` })
        || deps.access.check({ principalId: caller.principalId, scope, action: `${kind.actionPrefix}/listkeys/action` });
    } catch {
      return false;
    }
  };
  return {
    async handle(a: { segs: string[]; path: string; method: string; version: string | undefined; caller: ArmCaller; req: FastifyRequest; reply: FastifyReply }) {
      const { segs, method, caller } = a;
      if (!a.version) throw ARM.missingApiVersion();
      if (!(SUPPORTED_API_VERSIONS as readonly string[]).includes(a.version)) throw ARM.invalidApiVersion(a.version);
      const kind = KINDS[segs[6]!.toLowerCase()]!;
      const scope = `/subscriptions/${segs[1]}/resourceGroups/${segs[3]}/providers/${kind.armType}/${segs[7]}`;
      const type = segs[10]!.toLowerCase();
      const rest = segs.slice(11);
      if (type !== 'livetrace' && type !== 'upstreamcalls') throw ARM.invalidResourceType(segs[10]!, a.version, 'Microsoft.Lapis');
      if (type === 'livetrace' && rest.length > 0) throw ARM.notFound(a.path);
      if (rest.length > 2 || (rest.length === 2 && rest[1]!.toLowerCase() !== 'replay')) throw ARM.notFound(a.path);
      const replay = rest.length === 2;
      if (method !== (replay ? 'POST' : 'GET')) throw ARM.methodNotAllowed(method);
      // Authorised before the resource is looked up, as ARM does.
      if (replay) {
        const write = `${kind.actionPrefix}/write`;
        if (!deps.access.check({ principalId: caller.principalId, scope, action: write })) throw ARM.authorizationFailed(caller.clientName, caller.principalId, write, scope);
      } else if (!allowed(caller, scope, kind)) {
        throw ARM.authorizationFailed(caller.clientName, caller.principalId, `${kind.dataActionPrefix}/livetrace/read`, scope);
      }
      const trace = deps.trace.find(scope);
      if (!trace) throw ARM.resourceNotFound(segs[3]!, kind.armType, segs[7]!);
      if (type === 'livetrace') return stream(trace, a.req, a.reply, deps.trace.node);
      if (rest.length === 0) return { value: trace.inspector.list(), node: deps.trace.node };
      const id = rest[0]!;
      if (!replay) {
        const call = trace.inspector.get(id);
        if (!call) throw TRACE_ERRORS.callNotFound(id);
        return call;
      }
      try {
        return await trace.inspector.replay(id);
      } catch (err) {
        if (err instanceof UnknownCallError) throw TRACE_ERRORS.callNotFound(id);
        if (err instanceof NotReplayableError) throw TRACE_ERRORS.notReplayable(id);
        throw TRACE_ERRORS.replayFailed(err instanceof Error ? err.message : 'the event handler is not available');
      }
    },
  };
}

function stream(trace: ResourceTrace, req: FastifyRequest, reply: FastifyReply, node: string): FastifyReply {
  const q = req.query as Record<string, unknown>;
  const want: Partial<Record<(typeof FILTERS)[number], string>> = {};
  for (const f of FILTERS) {
    const v = q[f];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > 1024) throw TRACE_ERRORS.invalidFilter(f);
    want[f] = v;
  }
  const categories = want.category?.split(',').map((c) => c.trim()).filter(Boolean);
  const filter = Object.keys(want).length === 0 ? undefined : (e: TraceEvent) =>
    (want.hub === undefined || e.hub === want.hub.toLowerCase())
    && (want.connectionId === undefined || e.connectionId === want.connectionId)
    && (want.userId === undefined || e.userId === want.userId)
    && (want.group === undefined || e.group === want.group)
    && (categories === undefined || categories.includes(e.category))
    && (want.event === undefined || e.event === want.event)
    && (want.status === undefined || String(e.status) === want.status);
  const sub = trace.subscribe({ filter });
  if (!sub) throw TRACE_ERRORS.tooManyViewers();
  // The response is written here, event by event, for as long as the viewer stays.
  const headers: Record<string, string> = {};
  for (const h of ['x-ms-request-id', 'x-ms-correlation-request-id']) {
    const v = reply.getHeader(h);
    if (typeof v === 'string') headers[h] = v;
  }
  reply.hijack();
  streamToResponse(reply.raw, sub, { resource: trace.name, node, filters: want }, headers);
  return reply;
}
