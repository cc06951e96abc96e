/**
 * One Azure SignalR resource's runtime — A SEAM, NOT THE DATA PLANE YET.
 *
 * The server composition (src/server/node.ts) creates one `SignalRService` per SignalR resource and
 * mounts it on both of the resource's origins (HTTPS and plain HTTP), exactly as it does with
 * `WebPubSubService`: `new SignalRService(ctx)`, `mount(app)` on each origin's fastify app before
 * `app.ready()`, `close()` when the resource is deleted or the node stops.
 *
 * For now it serves nothing of SignalR's own: `GET/HEAD /api/health` is registered on each origin
 * by the server composition (as for every resource origin), and every other route, method and
 * WebSocket upgrade is answered with a data-plane-shaped 404 (`{"code","message"}` and
 * `x-ms-error-code`). The data plane (REST API in rest/, client endpoint in client/, auth in auth/)
 * replaces the not-found handler and the upgrade refusal here; the context below already carries
 * what it needs: the stored record (keys, service mode, upstream templates, auth switches, limits),
 * the identity service (bearer verification, managed-identity tokens for upstream) and access
 * control (RBAC data actions).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AccessControl } from '../../access/index.ts';
import type { SignalRRecord } from '../../control/index.ts';
import type { IdentityService } from '../../identity/index.ts';
import { guardSocket, setOriginErrorHandler } from '../../net/index.ts';

/** What upstream calls of this resource share with every other resource of the node. */
export interface SignalRUpstreamShared {
  /** PEM of Lapis's CA, trusted for upstream targets on this node. */
  ca: string;
  /** HTTPS origins of the node's Key Vaults (Key Vault references in URL templates). */
  vaultOrigins(): readonly string[];
  allowPrivateTargets(): boolean;
}

export interface SignalRResourceContext {
  /** The stored record, read on every use: keys, `properties` (features → service mode, upstream, cors, disableLocalAuth, disableAadAuth), limits and identity change at run time. */
  record(): SignalRRecord;
  /** `https://localhost:{port}`: the resource's public endpoint (known once the HTTPS origin is bound). */
  publicEndpoint(): string;
  identity: IdentityService;
  access: AccessControl;
  upstream: SignalRUpstreamShared;
  log: Logger;
}

const NOT_FOUND = 'NotFound';

export class SignalRService {
  readonly #ctx: SignalRResourceContext;
  readonly #upgradeListeners: Array<{ server: Server; listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void }> = [];
  #closed = false;

  constructor(ctx: SignalRResourceContext) {
    this.#ctx = ctx;
  }

  get name(): string {
    return this.#ctx.record().name;
  }

  /** Registers this resource's routes and upgrade handling on one origin. */
  mount(app: FastifyInstance): void {
    const notFound = (req: FastifyRequest, reply: FastifyReply) => {
      const message = `No SignalR data-plane operation matches ${req.method.slice(0, 10)} ${(req.url.split('?')[0] ?? '').slice(0, 200)}.`;
      return reply.code(404).header('x-ms-error-code', NOT_FOUND).send({ code: NOT_FOUND, message });
    };
    app.setNotFoundHandler(notFound);
    app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) this.#ctx.log.error({ err }, 'SignalR data-plane request failed');
      const code = status === 500 ? 'InternalServerError' : 'BadRequest';
      return reply.code(status).header('x-ms-error-code', code).send({ code, message: status === 500 ? 'An internal error occurred.' : err.message.slice(0, 300) });
    });
    setOriginErrorHandler(app, (_err, req, reply) => {
      void reply.code(400).header('x-ms-error-code', 'BadRequest').send({ code: 'BadRequest', message: `The request ${req.method.slice(0, 10)} could not be parsed.` });
    });
    const server = app.server as Server;
    const listener = (req: IncomingMessage, socket: Duplex) => this.#onUpgrade(req, socket);
    server.on('upgrade', listener);
    this.#upgradeListeners.push({ server, listener });
  }

  /** No client endpoint yet: every upgrade is refused with a plain 404 and the socket ended. */
  #onUpgrade(_req: IncomingMessage, socket: Duplex): void {
    guardSocket(socket, this.#ctx.log, 'signalr upgrade');
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ code: NOT_FOUND, message: 'This SignalR resource has no client endpoint yet.' });
    socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\nx-ms-error-code: ${NOT_FOUND}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }

  /** Stops serving: upgrade handlers removed (the listeners themselves are the composition's to close). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const { server, listener } of this.#upgradeListeners) server.off('upgrade', listener);
    this.#upgradeListeners.length = 0;
  }
}
