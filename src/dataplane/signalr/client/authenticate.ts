/**
 * The client endpoint's authenticator over the SignalR client-token validator: the token comes
 * from `Authorization: Bearer` (Node clients, polls and POSTs) or the `access_token` query
 * (browsers' WebSockets, every Server-Sent Events GET), and its audience names this origin and hub.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { SignalRKeySource } from '../auth/index.ts';
import { verifySignalRClientToken } from '../auth/index.ts';
import { DataPlaneError } from '../../webpubsub/errors.ts';
import type { ClientAuthenticator } from './types.ts';

const MAX_TOKEN_CHARS = 16 * 1024;

export function clientTokenAuthenticator(keys: SignalRKeySource): ClientAuthenticator {
  return (req, url, hub) => {
    const token = bearer(req) ?? url.searchParams.get('access_token');
    if (!token) return { ok: false, status: 401, message: 'An access token is required: Authorization: Bearer <token> or access_token=<token>.' };
    if (token.length > MAX_TOKEN_CHARS) return { ok: false, status: 401, message: 'The access token is too long.' };
    try {
      const id = verifySignalRClientToken({ token, hub, requestOrigin: originOf(req), keys });
      const handshakeTimeoutMs = id.handshakeTimeoutSeconds === undefined ? undefined : id.handshakeTimeoutSeconds * 1000;
      return { ok: true, identity: { userId: id.userId, claims: id.claims, handshakeTimeoutMs } };
    } catch (err) {
      if (err instanceof DataPlaneError) return { ok: false, status: err.status === 403 ? 403 : 401, message: err.message };
      throw err;
    }
  };
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/** `scheme://host[:port]` as the client addressed this origin. */
function originOf(req: IncomingMessage): string {
  const tls = (req.socket as TLSSocket).encrypted === true;
  return `${tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
}
