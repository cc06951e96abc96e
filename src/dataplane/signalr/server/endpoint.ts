/**
 * The app-server endpoint `/server/?hub=<hub>&cid=<guid>` of one resource origin: the WebSocket
 * upgrade of Microsoft.Azure.SignalR's server connections (no subprotocol; `X-ASRS-Server-Id` names
 * the app-server process). Refusals are HTTP answers on the upgrade (401 no or bad token, 403 no
 * role, 400 bad query, 429 the resource's server-connection limit), which the SDK logs and retries
 * with back-off. Open connections are re-checked against access changes (see accessChanged).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { acceptWebSocket, guardSocket } from '../../../net/index.ts';
import { DEFAULT_MAX_SERVICE_MESSAGE_BYTES } from '../../../protocols/signalr-service/index.ts';
import { hubOf } from '../client/endpoint.ts';
import type { AppServers } from './app-servers.ts';
import { authenticateServer, serverAuthorizationCheck, type ServerAuthOptions } from './authenticate.ts';
import { ServerConnection } from './server-connection.ts';

const SERVER_ID = /^[\x21-\x7e]{1,256}$/;
/** Server connections per resource (the SDK opens 5 per hub per app server by default). */
export const DEFAULT_MAX_SERVER_CONNECTIONS = 5000;

/** The resource's limits for app servers, read on every upgrade (ARM and config changes apply to the next one). */
export interface AppServerLimits {
  maxServerConnections?: number | undefined;
  serverConnectionTimeoutSeconds?: number | undefined;
}

export interface AppServerEndpointOptions {
  auth: ServerAuthOptions;
  servers: AppServers;
  log: Logger;
  maxMessageBytes?: number | undefined;
  limits?: (() => AppServerLimits) | undefined;
}

/** How often open server connections are checked against key regeneration and auth switches (role changes apply at once). */
export const REVALIDATE_INTERVAL_MS = 5_000;

export class AppServerEndpoint {
  readonly #o: AppServerEndpointOptions;
  readonly #wss: WebSocketServer;
  readonly #revalidator: NodeJS.Timeout;

  constructor(options: AppServerEndpointOptions) {
    this.#o = options;
    const max = options.maxMessageBytes ?? DEFAULT_MAX_SERVICE_MESSAGE_BYTES;
    // A frame may carry a whole message plus the start of the next; the reader enforces the per-message limit.
    this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 2 * max, clientTracking: false });
    this.#revalidator = setInterval(() => this.accessChanged(), REVALIDATE_INTERVAL_MS);
    this.#revalidator.unref();
  }

  /**
   * Role assignments, keys or auth switches changed: open server connections whose credential no
   * longer admits them are closed with the reason (the SDK logs it, reconnects and is refused).
   */
  accessChanged(): void {
    if (this.#o.servers.serverConnectionCount === 0) return;
    try {
      this.#o.servers.revalidate(serverAuthorizationCheck(this.#o.auth));
    } catch (err) {
      this.#o.log.warn({ err }, 'server connection re-check failed');
    }
  }

  /** True for the paths this endpoint serves (`/server/`, `/server`). */
  static handles(pathname: string): boolean {
    return pathname === '/server/' || pathname === '/server';
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    guardSocket(socket, this.#o.log, 'signalr server upgrade');
    const hub = hubOf(url);
    if (!hub.ok) return refuse(socket, 400, hub.error);
    const header = req.headers['x-asrs-server-id'];
    const serverId = typeof header === 'string' && SERVER_ID.test(header) ? header : `anonymous-${url.searchParams.get('cid') ?? ''}`;
    const id = url.searchParams.get('cid') ?? '';
    authenticateServer(this.#o.auth, req, hub.hub).then((auth) => {
      if (!auth.ok) return refuse(socket, auth.status, auth.message, auth.denialId);
      const limits = this.#o.limits?.() ?? {};
      const max = limits.maxServerConnections ?? DEFAULT_MAX_SERVER_CONNECTIONS;
      if (this.#o.servers.serverConnectionCount >= max) {
        return refuse(socket, 429, `This resource has reached its limit of ${max} app server connections.`);
      }
      const timeout = limits.serverConnectionTimeoutSeconds;
      acceptWebSocket(this.#wss, req, socket, head, this.#o.log, (ws) => {
        const info = { id, hub: hub.hub, serverId, principal: auth.principal, entra: auth.entra, keyDigest: auth.keyDigest };
        const connection = new ServerConnection(ws, info, this.#o.servers, {
          maxMessageBytes: this.#o.maxMessageBytes, idleTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
        });
        this.#o.servers.track(connection);
      });
    }, (err: unknown) => {
      this.#o.log.warn({ err }, 'server connection authentication failed');
      refuse(socket, 500, 'The access token could not be checked.');
    });
  }

  close(): void {
    clearInterval(this.#revalidator);
    this.#wss.close();
  }
}

const STATUS: Record<number, [string, string]> = {
  400: ['Bad Request', 'BadRequest'],
  401: ['Unauthorized', 'Unauthorized'],
  403: ['Forbidden', 'Forbidden'],
  429: ['Too Many Requests', 'TooManyRequests'],
};

function refuse(socket: Duplex, status: number, message: string, denialId?: string): void {
  if (socket.destroyed) return;
  const [reason, code] = STATUS[status] ?? ['Internal Server Error', 'InternalServerError'];
  const body = JSON.stringify({ code, message });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\nx-ms-error-code: ${code}\r\n${denialId ? `x-ms-lapis-denial-id: ${denialId}\r\n` : ''}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
