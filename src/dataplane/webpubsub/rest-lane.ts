/**
 * The fast lane of Web PubSub's REST sends (src/net/fast-lane.ts): `POST …/:send` with an
 * access-key token, a UTF-8 or binary body and no query but `api-version` is answered here,
 * without fastify, by the same router, authenticators, operations and error bodies as
 * rest-plugin.ts. Everything is decided from the request line and headers before the body is
 * read; anything else — another operation, another credential, a refusal, a CORS request, a
 * chunked or oversized body, any other query parameter — returns false and fastify serves it
 * (so 401s and 403s are answered and recorded in one place). Only what can go wrong with the
 * body itself (not UTF-8, not JSON, a bad group name) is answered here, as a 400 in the same shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { holdWritesThisTurn, laneAnswered, type FastLane } from '../../net/index.ts';
import { isValidHub } from '../../protocols/webpubsub/index.ts';
import { AccessKeyAuthenticator } from './auth/access-key.ts';
import { authenticate } from './auth/chain.ts';
import { EntraAuthenticator } from './auth/entra.ts';
import { bearerOf, type DataPlaneAuthenticator, type DataPlaneRequest } from './auth/types.ts';
import { DataPlaneError, dataPlaneErrors } from './errors.ts';
import { parseMediaType } from './payload.ts';
import { Query, type Router } from './router.ts';
import type { RestDeps, RouteContext, RouteDef, RouteResult } from './route-types.ts';

export interface LaneOptions {
  app: FastifyInstance;
  router: Router<RouteDef & { metricName: string }>;
  resourceId: string;
  deps: RestDeps;
  authenticators(): readonly DataPlaneAuthenticator[];
  maxBodyBytes: number;
  log: Logger;
  apiVersions: readonly string[];
  supportedHeader: string;
}

const LANE_MEDIA_TYPES = new Set(['application/octet-stream', 'text/plain', 'application/json']);

/** Authenticators known to have no side effect when they accept or refuse an HS256 token synchronously. */
const pure = (a: DataPlaneAuthenticator) => a instanceof AccessKeyAuthenticator || a instanceof EntraAuthenticator;

export function restLane(o: LaneOptions): FastLane {
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const raw = req.url ?? '/';
    if (!raw.startsWith('/api/hubs/')) return false;
    const h = req.headers;
    if (h.origin !== undefined || h['transfer-encoding'] !== undefined || h.expect !== undefined) return false;
    const length = Number(h['content-length']);
    if (!(length >= 0 && length <= o.maxBodyBytes)) return false;
    const media = parseMediaType(h['content-type']);
    if (!LANE_MEDIA_TYPES.has(media.type) || (media.charset !== undefined && media.charset !== 'utf-8' && media.charset !== 'utf8')) return false;
    const qi = raw.indexOf('?');
    const path = qi >= 0 ? raw.slice(0, qi) : raw;
    const query = new Query(qi >= 0 ? raw.slice(qi + 1) : '');
    const version = query.get('api-version');
    if (query.size !== (version === undefined ? 0 : 1) || query.all('api-version').length > 1) return false;
    if (version !== undefined && !o.apiVersions.includes(version)) return false;
    const segments = path.split('/').slice(2);
    if (segments.length > 1 && segments[segments.length - 1] === '') return false;
    let match: ReturnType<typeof o.router.match>;
    try {
      match = o.router.match('POST', segments);
    } catch {
      return false; // not valid percent-encoding: fastify's path answers it
    }
    if (match === undefined || match === 'method' || !match.route.path.endsWith('/:send')) return false;
    const hubName = match.params.hub!;
    if (!isValidHub(hubName)) return false;
    const hub = hubName.toLowerCase();
    const request: DataPlaneRequest = { method: 'POST', url: raw, headers: h, resourceId: o.resourceId, hub, bearer: undefined };
    // Only access-key tokens: the Entra authenticator then steps aside synchronously, and nothing
    // in the chain waits, records or has to be redone when fastify takes over a refusal.
    if (bearerOf(request).header?.alg !== 'HS256') return false;
    const chain = o.authenticators();
    if (!chain.every(pure)) return false;
    let authenticated: ReturnType<typeof authenticate>;
    try {
      authenticated = authenticate(chain, request);
    } catch {
      return false;
    }
    if (authenticated instanceof Promise || authenticated.by.authorize !== undefined) return false;

    // Taken: from here on this request is answered here.
    const started = performance.now();
    match.params.hub = hub;
    const route = match.route;
    const params = match.params;
    const socket = req.socket as PipelinedSocket;
    socket[kWaiting] = (socket[kWaiting] ?? 0) + 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {}); // a peer gone mid-body: its socket's guard has it
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const ctx: RouteContext = { deps: o.deps, params, hub, query, body, contentType: h['content-type'], rawPath: path, origin: '' };
      // Another send of this connection waits behind this one (a pipelining client): the answers
      // of this turn leave in one write (net/write-batch.ts). One request at a time, as the SDKs
      // send, is answered exactly as before.
      if (socket[kWaiting]! > 1) holdWritesThisTurn(socket);
      socket[kWaiting]!--;
      let status: number;
      let errorCode: string | undefined;
      try {
        const result = route.handle(ctx) as RouteResult; // sends are synchronous
        status = result.status;
        answer(res, status, h, o.supportedHeader, undefined);
      } catch (err) {
        const e = err instanceof DataPlaneError ? err : internal(err, o.log);
        status = e.status;
        errorCode = e.code;
        answer(res, status, h, o.supportedHeader, e);
      }
      laneAnswered(o.app, { method: 'POST', url: raw, status, errorCode, route: route.metricName, ms: performance.now() - started });
    });
    return true;
  };
}

/** Sends the lane took on a connection and has not answered yet. */
const kWaiting = Symbol('lapis.laneWaiting');
type PipelinedSocket = IncomingMessage['socket'] & { [kWaiting]?: number };

function internal(err: unknown, log: Logger): DataPlaneError {
  log.error({ err }, 'data-plane request failed');
  return dataPlaneErrors.internal();
}

/** The same headers and body rest-plugin.ts answers with through fastify. */
function answer(res: ServerResponse, status: number, h: IncomingMessage['headers'], supported: string, e: DataPlaneError | undefined): void {
  const headers: Record<string, string> = { 'api-supported-versions': supported };
  const clientRequestId = h['x-ms-client-request-id'];
  if (typeof clientRequestId === 'string') headers['x-ms-client-request-id'] = clientRequestId;
  if (e === undefined) {
    headers['content-length'] = '0';
    res.writeHead(status, headers).end();
    return;
  }
  const body = JSON.stringify(e.toBody());
  headers['x-ms-error-code'] = e.code;
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers).end(body);
}
