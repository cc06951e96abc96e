/**
 * The WebSocket upgrade itself, shared by new connections and recoveries: the negotiated
 * subprotocol handed to `ws`, and the 101 response written under cork so that what the session
 * writes at once (the `connected` message, a replay) leaves in the same write.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { acceptWebSocket } from '../../net/index.ts';
import type { ClientEndpointDeps } from './client-endpoint.ts';

/** The negotiated subprotocol, kept on the request until `ws` asks (a property, not a WeakMap entry per handshake). */
const SELECTED_PROTOCOL = Symbol('lapis.selectedProtocol');
type UpgradeRequest = IncomingMessage & { [SELECTED_PROTOCOL]?: string };

/** `ws` calls this during `handleUpgrade`: echo exactly the negotiated protocol (none for plain clients). */
export function handleProtocols(_offered: Set<string>, req: IncomingMessage): string | false {
  return (req as UpgradeRequest)[SELECTED_PROTOCOL] ?? false;
}

export function upgrade(deps: ClientEndpointDeps, req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string | undefined, done: (ws: WebSocket) => void): void {
  if (socket.destroyed) return;
  if (protocol) (req as UpgradeRequest)[SELECTED_PROTOCOL] = protocol;
  // `ws` writes the 101 response and calls back synchronously; what the session writes at once
  // (the `connected` message) joins it, so a handshake costs the server one write, not two.
  socket.cork();
  try {
    acceptWebSocket(deps.wss, req, socket, head, deps.host.log, (ws) => {
      deps.track(ws);
      done(ws);
    });
  } finally {
    socket.uncork();
  }
}
