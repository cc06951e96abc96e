/**
 * Mounts the SignalR serverless REST API (`/api/...`, reference §1) on a fastify instance: one
 * catch-all route that routes the raw path itself (Web PubSub's router: `%2F` stays literal),
 * checks the api-version, authenticates (access key / temporary key, then Entra), authorises
 * the route's DataAction and calls the hub operations. Errors answer in Azure's ErrorDetail
 * shape with `x-ms-error-code`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DENIAL_HEADER } from '../../../access/index.ts';
import { recordRefusal } from '../../webpubsub/denial.ts';
import { nameRoute } from '../../../metrics/index.ts';
import { setOriginErrorHandler } from '../../../net/index.ts';
import type { BearerVerifier, DataActionCheck, DenialRecorder } from '../../webpubsub/auth/entra.ts';
import { authenticate } from '../../webpubsub/auth/chain.ts';
import type { DataPlaneAuth, DataPlaneAuthenticator } from '../../webpubsub/auth/types.ts';
import { Query, Router } from '../../webpubsub/router.ts';
import { SignalRAccessKeyAuthenticator } from '../auth/access-key.ts';
import { mintSignalRClientToken } from '../auth/client-token.ts';
import { SignalREntraAuthenticator } from '../auth/entra.ts';
import type { SignalRKeySource } from '../auth/keys.ts';
import type { SignalRRequest } from '../auth/types.ts';
import { SignalRDataActions } from './actions.ts';
import { DataPlaneError, signalRErrors } from './errors.ts';
import type { SignalRHubOperations } from './operations.ts';
import { servedRoutes } from './routes.ts';
import type { ServedRoute } from './routes.ts';
import { internalHub } from './validation.ts';

export const SIGNALR_API_VERSIONS = ['2022-06-01', '2022-11-01', '2024-12-01'] as const;
const SUPPORTED_HEADER = ['1.0', ...SIGNALR_API_VERSIONS].join(', ');
const MIB = 1024 * 1024;

export interface SignalRRestDeps extends SignalRKeySource {
  /** ARM id of the resource (RBAC scope). */
  resourceId: string;
  operations: SignalRHubOperations;
  /** Entra bearer tokens + RBAC; absent = access keys only. */
  entra?: { verifier: BearerVerifier; check: DataActionCheck; tenantId: string; denials?: DenialRecorder; resourceName?: string };
  /** Default 1 MiB (Azure's REST body limit). */
  maxBodyBytes?: number;
  /**
   * Also answer the whole origin's unknown routes and framework errors in this shape (default
   * true). Pass false when another piece on the same fastify instance owns them.
   */
  handleOriginErrors?: boolean;
  log: Logger;
}

const router = new Router<ServedRoute>(servedRoutes);

export function mountSignalRRest(app: FastifyInstance, deps: SignalRRestDeps): void {
  const maxBodyBytes = deps.maxBodyBytes ?? MIB;
  const chain: DataPlaneAuthenticator[] = [new SignalRAccessKeyAuthenticator(deps)];
  if (deps.entra) chain.push(new SignalREntraAuthenticator({ ...deps.entra, isAadAuthDisabled: () => deps.isAadAuthDisabled() }));
  const toError = (err: FastifyError) => toDataPlaneError(err, maxBodyBytes, deps.log);
  // 401/403 answers no authenticator recorded (access-key tokens): recorded here ("why was this denied").
  const sendError = (req: FastifyRequest, reply: FastifyReply, e: DataPlaneError): FastifyReply => {
    recordRefusal(e, {
      denials: deps.entra?.denials, surface: 'signalr', resourceName: deps.entra?.resourceName ?? '', scope: deps.resourceId,
      method: req.method, url: req.raw.url ?? '/', authorization: typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined,
    });
    return sendSignalRError(req, reply, e);
  };
  if (deps.handleOriginErrors !== false) {
    app.setNotFoundHandler((req, reply) => sendError(req, reply, unknownRoute(req)));
    app.setErrorHandler((err: FastifyError, req, reply) => sendError(req, reply, toError(err)));
    setOriginErrorHandler(app, (err, req, reply) => { sendError(req, reply, toError(err)); });
  }
  void app.register(async (scope) => {
    // Bodies are raw bytes for every media type: the operation decides what they mean.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err: FastifyError, req, reply) => sendError(req, reply, toError(err)));
    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      url: '/api/*',
      bodyLimit: maxBodyBytes,
      exposeHeadRoute: false,
      handler: (req, reply) => handle(req, reply, deps, chain),
    });
  });
}

function splitUrl(raw: string): { path: string; search: string; segments: string[] } {
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const segments = path.split('/').slice(2);
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  return { path, search: qi >= 0 ? raw.slice(qi + 1) : '', segments };
}

/** 405 when the path names an operation under another method, 404 otherwise. */
function unknownRoute(req: FastifyRequest): DataPlaneError {
  const { path, segments } = splitUrl(req.raw.url ?? '/');
  if (path.startsWith('/api/') && router.match(req.method, segments) === 'method') return signalRErrors.methodNotAllowed(req.method, path.slice(0, 512));
  return signalRErrors.noOperation(req.method, path.slice(0, 512));
}

function toDataPlaneError(err: FastifyError, maxBodyBytes: number, log: Logger): DataPlaneError {
  if (err instanceof DataPlaneError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) return signalRErrors.bodyTooLarge(maxBodyBytes);
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 415) return signalRErrors.unsupportedMediaType(err.message);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return signalRErrors.badRequest(err.message);
  log.error({ err }, 'SignalR REST request failed');
  return signalRErrors.internal();
}

/** Azure's ErrorDetail body + `x-ms-error-code` (HEAD answers carry only the header). */
export function sendSignalRError(req: FastifyRequest, reply: FastifyReply, e: DataPlaneError): FastifyReply {
  reply.code(e.status).header('x-ms-error-code', e.code).header('api-supported-versions', SUPPORTED_HEADER);
  if (e.denialId) reply.header(DENIAL_HEADER, e.denialId);
  if (e.status === 401) reply.header('www-authenticate', `Bearer error="invalid_token", error_description="${e.message.replace(/["\\\r\n]/g, '')}"`);
  if (req.method === 'HEAD') return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(e.toBody()));
}

const lower = (s: string | undefined) => s?.toLowerCase();

async function handle(req: FastifyRequest, reply: FastifyReply, deps: SignalRRestDeps, chain: readonly DataPlaneAuthenticator[]): Promise<FastifyReply> {
  const raw = req.raw.url ?? '/';
  const { path, search, segments } = splitUrl(raw);
  const query = new Query(search);
  reply.header('api-supported-versions', SUPPORTED_HEADER);
  const clientRequestId = req.headers['x-ms-client-request-id'];
  if (typeof clientRequestId === 'string' && clientRequestId.length <= 256) reply.header('x-ms-client-request-id', clientRequestId);

  const v1 = lower(segments[0]) === 'v1';
  const rest = v1 ? segments.slice(1) : segments;
  const version = query.get('api-version');
  if (!v1 && version !== undefined && !(SIGNALR_API_VERSIONS as readonly string[]).includes(version)) {
    throw signalRErrors.unsupportedApiVersion(`The api-version '${version.slice(0, 64)}' is not supported. Supported versions: ${SIGNALR_API_VERSIONS.join(', ')} (and the /api/v1 paths without api-version).`);
  }

  if (rest.length === 1 && lower(rest[0]) === 'health') {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw signalRErrors.methodNotAllowed(req.method, path);
    return reply.code(200).send();
  }

  const origin = `${req.protocol}://${req.host}`;
  const request = (hub?: string): SignalRRequest => ({ method: req.method, url: raw, headers: req.headers, resourceId: deps.resourceId, hub, origin });

  if (rest.length === 2 && lower(rest[0]) === 'auth' && lower(rest[1]) === 'accesskey') {
    if (req.method !== 'GET') throw signalRErrors.methodNotAllowed(req.method, path);
    if (!v1) requireVersion(version, '2024-12-01');
    const r = request();
    const { auth, by } = await authenticate(chain, r);
    await by.authorize?.(auth, SignalRDataActions.accessKey, r);
    return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(await issueTemporaryKey(deps, auth)));
  }

  const match = router.match(req.method, segments);
  if (match === undefined) throw signalRErrors.noOperation(req.method, path.slice(0, 512));
  if (match === 'method') throw signalRErrors.methodNotAllowed(req.method, path.slice(0, 512));
  nameRoute(req.raw, `/api/${match.route.path}`);
  if (!match.route.v1) requireVersion(version, match.route.minVersion);
  const hub = internalHub(match.params.hub!, query.get('application'));

  const r = request(hub);
  const { auth, by } = await authenticate(chain, r);
  await by.authorize?.(auth, match.route.dataAction, r);

  const result = await match.route.handle({
    ops: deps.operations,
    hub,
    params: match.params,
    query,
    body: Buffer.isBuffer(req.body) ? req.body : undefined,
    contentType: req.headers['content-type'],
    v1: match.route.v1,
    auth,
    rawPath: path,
    mintClientToken: (h, userId, minutesToExpire) => mintSignalRClientToken({
      endpoint: origin,
      hub: h,
      userId,
      minutesToExpire,
      // As Azure: signed with the primary key; with local auth disabled, with the internal key
      // the client endpoint also accepts, so Entra-only resources can still mint client tokens.
      key: deps.isLocalAuthDisabled() ? deps.internalSigningKey() : deps.getAccessKeys().primaryKey,
    }),
  });
  reply.code(result.status);
  if (result.body === undefined || req.method === 'HEAD') return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(result.body));
}

/** Dated paths need an api-version, at least `min` when the route came later. */
function requireVersion(version: string | undefined, min = '2022-06-01'): void {
  if (version === undefined) {
    throw signalRErrors.unsupportedApiVersion(`The api-version query parameter is required on this path (supported: ${SIGNALR_API_VERSIONS.join(', ')}); or use /api/v1/.`);
  }
  if (version < min) {
    throw signalRErrors.unsupportedApiVersion(`This operation needs api-version ${min} or later (given '${version}').`);
  }
}

/** Temporary keys are an Entra credential: key holders already have the keys themselves. */
async function issueTemporaryKey(deps: SignalRRestDeps, auth: DataPlaneAuth): Promise<{ KeyId: string; AccessKey: string }> {
  if (auth.kind !== 'entra') {
    throw signalRErrors.forbidden('Temporary access keys are issued to Microsoft Entra principals only (with Microsoft.SignalRService/SignalR/auth/accessKey/action).');
  }
  const key = await deps.temporaryKeys.issue(auth.principal);
  return { KeyId: key.keyId, AccessKey: key.accessKey };
}
