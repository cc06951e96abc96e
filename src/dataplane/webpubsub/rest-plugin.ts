/**
 * Mounts the data-plane REST API (`/api/...`) on a fastify instance: one catch-all route that routes
 * the raw path itself (see router.ts), authenticates through the authenticator chain, authorises
 * the route's DataAction, and maps errors to Azure-shaped bodies.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DENIAL_HEADER } from '../../access/index.ts';
import { nameRoute } from '../../metrics/index.ts';
import { setFastLane, setOriginErrorHandler } from '../../net/index.ts';
import { isValidHub } from '../../protocols/webpubsub/index.ts';
import { authenticate, type Authenticated } from './auth/chain.ts';
import type { DenialRecorder } from './auth/entra.ts';
import { recordRefusal } from './denial.ts';
import type { DataPlaneAuthenticator, DataPlaneRequest } from './auth/types.ts';
import { badRequest, DataPlaneError, dataPlaneErrors } from './errors.ts';
import { Query, Router } from './router.ts';
import type { RestDeps, RouteContext, RouteDef, RouteResult } from './routes.ts';
import { routes } from './routes.ts';
import { restLane } from './rest-lane.ts';

export const API_VERSIONS = ['2021-10-01', '2022-11-01', '2023-07-01', '2024-01-01', '2024-12-01'] as const;
const SUPPORTED_HEADER = API_VERSIONS.join(', ');

export interface RestOptions {
  resourceId: string;
  deps: RestDeps;
  /** Read per request so authenticators can change at run time. */
  authenticators(): readonly DataPlaneAuthenticator[];
  maxBodyBytes: number;
  log: Logger;
  /** Where 401/403 answers not recorded by an authenticator are recorded ("why was this denied"). */
  denials?: DenialRecorder | undefined;
  resourceName?: string;
}

/** A route and its name in the REST metrics, built once. */
interface ServedRoute extends RouteDef {
  metricName: string;
}

const router = new Router<ServedRoute>(routes.map((r) => ({ ...r, metricName: `/api/${r.path}` })));

export function registerRest(app: FastifyInstance, o: RestOptions): void {
  // The whole origin answers in the data plane's shape, not only `/api/*`: unknown paths and
  // methods, and errors raised before any route runs (malformed requests).
  const sendError = (req: FastifyRequest, reply: FastifyReply, e: DataPlaneError): FastifyReply => {
    recordRefusal(e, {
      denials: o.denials, surface: 'webpubsub', resourceName: o.resourceName ?? '', scope: o.resourceId,
      method: req.method, url: req.raw.url ?? '/', authorization: typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined,
    });
    return sendDataPlaneError(req, reply, e);
  };
  app.setNotFoundHandler((req, reply) => sendError(req, reply, unknownRoute(req)));
  app.setErrorHandler((err: FastifyError, req, reply) => sendError(req, reply, toDataPlaneError(err, o)));
  setOriginErrorHandler(app, (err, req, reply) => { sendError(req, reply, toDataPlaneError(err, o)); });
  // Access-key sends skip fastify (rest-lane.ts); everything else, refusals included, comes below.
  setFastLane(app, restLane({
    app, router, resourceId: o.resourceId, deps: o.deps, authenticators: o.authenticators, maxBodyBytes: o.maxBodyBytes, log: o.log,
    apiVersions: API_VERSIONS, supportedHeader: SUPPORTED_HEADER,
  }));
  void app.register(async (scope) => {
    // Bodies are raw bytes for every media type: the operation decides what they mean.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.maxBodyBytes }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err: FastifyError, req, reply) => sendError(req, reply, toDataPlaneError(err, o)));
    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      url: '/api/*',
      bodyLimit: o.maxBodyBytes,
      exposeHeadRoute: false,
      // Answered synchronously when nothing waits (an access-key send): fastify is handed a
      // promise only when there is one.
      handler: (req, reply) => {
        const answered = handle(req, reply, o);
        return answered instanceof Promise ? answered : undefined;
      },
    });
  });
}

/** 405 when the path names an operation under another method, 404 otherwise. */
function unknownRoute(req: FastifyRequest): DataPlaneError {
  const raw = req.raw.url ?? '/';
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  if (path.startsWith('/api/')) {
    const segments = path.split('/').slice(2);
    if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
    if (router.match(req.method, segments) === 'method' || (segments.length === 1 && segments[0]!.toLowerCase() === 'health')) {
      return dataPlaneErrors.methodNotAllowed(req.method, path);
    }
  }
  return dataPlaneErrors.noOperation(req.method, path.slice(0, 512));
}

function toDataPlaneError(err: FastifyError, o: RestOptions): DataPlaneError {
  if (err instanceof DataPlaneError) return err;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return dataPlaneErrors.bodyTooLarge(o.maxBodyBytes);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return dataPlaneErrors.unsupportedMediaType(err.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return dataPlaneErrors.malformedJson();
  }
  if (err.statusCode === 415) return dataPlaneErrors.unsupportedMediaType(err.message);
  if (err.statusCode === 413) return dataPlaneErrors.bodyTooLarge(o.maxBodyBytes);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return dataPlaneErrors.badRequest(err.message);
  }
  o.log.error({ err }, 'data-plane request failed');
  return dataPlaneErrors.internal();
}

function sendDataPlaneError(req: FastifyRequest, reply: FastifyReply, e: DataPlaneError): FastifyReply {
  reply.code(e.status).header('x-ms-error-code', e.code).header('api-supported-versions', SUPPORTED_HEADER);
  if (e.denialId) reply.header(DENIAL_HEADER, e.denialId);
  if (e.status === 401) reply.header('www-authenticate', `Bearer error="invalid_token", error_description="${e.message.replace(/["\\]/g, '')}"`);
  if (req.method === 'HEAD') return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(e.toBody()));
}

function handle(req: FastifyRequest, reply: FastifyReply, o: RestOptions): FastifyReply | Promise<FastifyReply> {
  const raw = req.raw.url ?? '/';
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const query = new Query(qi >= 0 ? raw.slice(qi + 1) : '');
  const segments = path.split('/').slice(2);
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  reply.header('api-supported-versions', SUPPORTED_HEADER);
  const clientRequestId = req.headers['x-ms-client-request-id'];
  if (typeof clientRequestId === 'string') reply.header('x-ms-client-request-id', clientRequestId);

  const version = query.get('api-version');
  // Missing api-version = latest (the SDK sends none when following a nextLink).
  if (version !== undefined && !(API_VERSIONS as readonly string[]).includes(version)) {
    throw badRequest(`The api-version '${version}' is not supported. Supported versions: ${SUPPORTED_HEADER}.`, 'api-version');
  }
  if (segments.length === 1 && segments[0]!.toLowerCase() === 'health') {
    if (req.method === 'GET' || req.method === 'HEAD') return reply.code(200).send();
    throw dataPlaneErrors.methodNotAllowed(req.method, path);
  }
  const match = router.match(req.method, segments);
  if (match === undefined) throw dataPlaneErrors.noOperation(req.method, path);
  if (match === 'method') throw dataPlaneErrors.methodNotAllowed(req.method, path);
  nameRoute(req.raw, match.route.metricName);
  const hubName = match.params.hub!;
  if (!isValidHub(hubName)) {
    throw badRequest("The hub name must start with a letter and contain only letters, digits, '_', '`', ',', '.', '[' and ']' (at most 128 characters).", 'hub');
  }
  const hub = hubName.toLowerCase();
  match.params.hub = hub;

  const request: DataPlaneRequest = { method: req.method, url: raw, headers: req.headers, resourceId: o.resourceId, hub, bearer: undefined };
  const ctx = new Context(req, o.deps, match.params, hub, query, path);
  const authenticated = authenticate(o.authenticators(), request);
  if (authenticated instanceof Promise) return authenticated.then((a) => authorized(reply, match.route, request, a, ctx));
  return authorized(reply, match.route, request, authenticated, ctx);
}

/** The route's DataAction checked by the authenticator that accepted the caller, then the operation. */
function authorized(reply: FastifyReply, route: ServedRoute, request: DataPlaneRequest, a: Authenticated, ctx: Context): FastifyReply | Promise<FastifyReply> {
  const checked = a.by.authorize?.(a.auth, route.dataAction, request);
  if (checked instanceof Promise) return checked.then(() => run(reply, route, ctx));
  return run(reply, route, ctx);
}

function run(reply: FastifyReply, route: ServedRoute, ctx: Context): FastifyReply | Promise<FastifyReply> {
  const result = route.handle(ctx);
  if (result instanceof Promise) return result.then((r) => answer(reply, r));
  return answer(reply, result);
}

function answer(reply: FastifyReply, result: RouteResult): FastifyReply {
  reply.code(result.status);
  if (result.body === undefined || reply.request.method === 'HEAD') return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(result.body));
}

/** What an operation sees of its request; the origin is worked out only by the one operation that needs it. */
class Context implements RouteContext {
  readonly #req: FastifyRequest;
  readonly deps: RestDeps;
  readonly params: Record<string, string>;
  readonly hub: string;
  readonly query: Query;
  readonly rawPath: string;
  readonly body: Buffer | undefined;
  readonly contentType: string | undefined;

  constructor(req: FastifyRequest, deps: RestDeps, params: Record<string, string>, hub: string, query: Query, rawPath: string) {
    this.#req = req;
    this.deps = deps;
    this.params = params;
    this.hub = hub;
    this.query = query;
    this.rawPath = rawPath;
    this.body = Buffer.isBuffer(req.body) ? req.body : undefined;
    this.contentType = req.headers['content-type'];
  }

  get origin(): string {
    return `${this.#req.protocol}://${this.#req.host}`;
  }
}
