/**
 * Who may open a server connection (`/server/?hub=`): an app server with a connection string signs
 * an HS256 JWT with an access key, `aud` = `{scheme}://{host}/server/?hub={hub}` (the SDK drops the
 * port) and a `kid` that is a per-process hash (noise: both keys are tried); an app server with a
 * TokenCredential presents its Microsoft Entra token for https://signalr.azure.com, whose principal
 * must hold `Microsoft.SignalRService/SignalR/serverConnection/write` (SignalR App Server) through RBAC.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { verifyHmacJwt } from '../../common/hmac-jwt.ts';
import type { BearerVerifier, DataActionCheck, DenialRecorder } from '../../webpubsub/auth/entra.ts';
import { DataPlaneError } from '../../webpubsub/errors.ts';
import { isHmacToken, SIGNALR_TOKEN_ALGORITHMS, SignalREntraAuthenticator, tokenKeys, type SignalRKeySource } from '../auth/index.ts';
import { endpointAudienceMatches } from '../auth/audience.ts';

export const SERVER_CONNECTION_ACTION = 'Microsoft.SignalRService/SignalR/serverConnection/write';
const MAX_TOKEN_CHARS = 16 * 1024;

export interface ServerAuthOptions {
  keys: SignalRKeySource;
  verifier: BearerVerifier;
  check: DataActionCheck;
  tenantId(): string;
  resourceId(): string;
  /** Where refusals are recorded ("why was this denied"). */
  denials?: DenialRecorder;
  resourceName?(): string;
}

export type ServerAuthResult =
  | { ok: true; principal: string; entra: boolean; keyDigest?: string | undefined }
  | { ok: false; status: 401 | 403; message: string; denialId?: string | undefined };

export async function authenticateServer(o: ServerAuthOptions, req: IncomingMessage, hub: string): Promise<ServerAuthResult> {
  const token = bearer(req);
  if (!token) return { ok: false, status: 401, message: 'An access token is required: Authorization: Bearer <token>.' };
  if (token.length > MAX_TOKEN_CHARS) return { ok: false, status: 401, message: 'The access token is too long.' };
  try {
    if (isHmacToken(token)) {
      // The SDK's kid is a per-process hash, never a key id: look the key up by trying both.
      const { payload } = verifyHmacJwt(token, () => tokenKeys(o.keys, {}, false), { algorithms: SIGNALR_TOKEN_ALGORITHMS });
      if (!serverAudienceMatches(payload.aud, originOf(req), hub)) {
        return { ok: false, status: 401, message: `The access token's audience (aud) is not this hub's server endpoint (${originOf(req)}/server/?hub=${hub}).` };
      }
      return { ok: true, principal: 'accessKey', entra: false, keyDigest: signingKeyDigest(token, o.keys) };
    }
    const entra = new SignalREntraAuthenticator({ verifier: o.verifier, check: o.check, tenantId: o.tenantId(), isAadAuthDisabled: () => o.keys.isAadAuthDisabled(), denials: o.denials, resourceName: o.resourceName?.() });
    const request = { method: 'GET', url: req.url ?? '/', headers: req.headers, resourceId: o.resourceId(), hub, origin: originOf(req) };
    const auth = await entra.authenticate(request);
    if (!auth) return { ok: false, status: 401, message: 'The access token is not a JWT this resource accepts.' };
    entra.authorize(auth, SERVER_CONNECTION_ACTION, request);
    return { ok: true, principal: auth.principal, entra: true };
  } catch (err) {
    if (err instanceof DataPlaneError) return { ok: false, status: err.status === 403 ? 403 : 401, message: err.message, denialId: err.denialId };
    throw err;
  }
}

/** Which of the resource's keys signed a verified token, as a digest (kept to end the connection when that key is regenerated). */
function signingKeyDigest(token: string, keys: SignalRKeySource): string | undefined {
  const { primaryKey, secondaryKey } = keys.getAccessKeys();
  for (const key of [primaryKey, secondaryKey]) {
    try {
      verifyHmacJwt(token, [key], { algorithms: SIGNALR_TOKEN_ALGORITHMS });
      return keyDigest(key);
    } catch {
      // not this one
    }
  }
  return undefined;
}

export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

export interface ServerCredential {
  entra: boolean;
  principal: string;
  keyDigest?: string | undefined;
}

/**
 * A check of open server connections against the resource's current settings (read once per
 * sweep): an Entra principal must still hold the role, an access-key connection's signing key must
 * still exist. Returns the reason to close, or undefined to keep.
 */
export function serverAuthorizationCheck(o: ServerAuthOptions): (who: ServerCredential) => string | undefined {
  const aadDisabled = o.keys.isAadAuthDisabled();
  const localDisabled = o.keys.isLocalAuthDisabled();
  const { primaryKey, secondaryKey } = o.keys.getAccessKeys();
  const digests = new Set([keyDigest(primaryKey), keyDigest(secondaryKey)]);
  const scope = o.resourceId();
  // An app server holds many connections under one principal: one decision per principal and sweep.
  const allowed = new Map<string, boolean>();
  return (who) => {
    if (who.entra) {
      if (aadDisabled) return 'Microsoft Entra authentication was disabled for this resource.';
      let ok = allowed.get(who.principal);
      if (ok === undefined) allowed.set(who.principal, ok = o.check(who.principal, SERVER_CONNECTION_ACTION, scope).allowed);
      if (!ok) return `The principal '${who.principal}' no longer has permission '${SERVER_CONNECTION_ACTION}' at scope '${scope}'.`;
      return undefined;
    }
    if (localDisabled) return 'Local authentication (access keys) was disabled for this resource.';
    if (who.keyDigest !== undefined && !digests.has(who.keyDigest)) return "The access key that signed this connection's token was regenerated.";
    return undefined;
  };
}

/** `aud` names `/server/?hub={hub}` on this origin's scheme and host (port ignored, hub case-insensitive). */
export function serverAudienceMatches(aud: unknown, requestOrigin: string, hub: string): boolean {
  return endpointAudienceMatches(aud, requestOrigin, '/server', hub);
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(h)?.[1];
}

/** `scheme://host[:port]` as the app server addressed this origin. */
export function originOf(req: IncomingMessage): string {
  const tls = (req.socket as TLSSocket).encrypted === true;
  return `${tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
}
