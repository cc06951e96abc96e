/**
 * Recovery handshakes of reliable sessions (`awps_connection_id` + `awps_reconnection_token`): a
 * session this node holds is resumed on the new socket; in cluster mode one it does not hold is
 * claimed from the session store and rebuilt here first.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { JsonSession } from '../../protocols/webpubsub/index.ts';
import type { ClientEndpointDeps } from './client-endpoint.ts';
import { upgrade } from './client-upgrade.ts';
import { dataPlaneErrors } from './errors.ts';
import { restoreSession } from './session-restore.ts';

export function resume(deps: ClientEndpointDeps, req: IncomingMessage, socket: Duplex, head: Buffer, hub: string, connectionId: string, token: string, offered: string[]): void {
  const candidate = deps.host.core.connection(hub, connectionId)?.sink;
  const session = candidate instanceof JsonSession && candidate.canResume(token) ? candidate : undefined;
  const protocol = session && offered.includes(session.protocol) ? session.protocol : offered[0];
  upgrade(deps, req, socket, head, protocol, (ws) => {
    if (!session || protocol !== session.protocol || session.ended) {
      ws.close(1008, 'The connection cannot be recovered.');
      return;
    }
    session.resume(ws);
  });
}

/**
 * Recovery of a session this node does not hold (cluster mode): claimed from the session store
 * (its node died, or handed it over) and rebuilt here. When that cannot be decided now (the owner
 * did not answer yet, the store is unreachable) the handshake is refused with 503 so the client
 * tries again within its recovery period; an unknown session is accepted and closed with 1008.
 */
export async function resumeFromStore(deps: ClientEndpointDeps, req: IncomingMessage, socket: Duplex, head: Buffer, hub: string, connectionId: string, token: string, offered: string[], reliableOffered: string): Promise<void> {
  const lookup = MAX_RECOVERY_PARAM >= connectionId.length && MAX_RECOVERY_PARAM >= token.length
    ? await deps.sessions.recover(hub, connectionId, token)
    : { kind: 'unknown' as const };
  if (lookup.kind === 'unavailable') throw dataPlaneErrors.sessionUnavailable(lookup.reason);
  const session = lookup.kind === 'claimed'
    ? deps.host.core.connection(hub, connectionId)?.sink ?? restoreSession(deps, lookup.record)
    : undefined;
  // It waits for its client from now on (the resume below stops the clock): a handshake that
  // does not complete leaves it to expire like any detached session.
  if (session instanceof JsonSession && !session.ended && session.detached) session.awaitRecovery();
  // Same subprotocol as before: a client offering another one cannot resume this session.
  const protocol = session instanceof JsonSession && offered.includes(session.protocol) ? session.protocol : reliableOffered;
  upgrade(deps, req, socket, head, protocol, (ws) => {
    if (!(session instanceof JsonSession) || session.ended || protocol !== session.protocol) {
      ws.close(1008, 'The connection cannot be recovered.');
      return;
    }
    session.resume(ws);
  });
}

/** Longest connection id or reconnection token looked up in the session store. */
const MAX_RECOVERY_PARAM = 512;
