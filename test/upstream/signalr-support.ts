/**
 * Test-only composition for the SignalR serverless upstream: the SignalR client endpoint and the
 * messaging core (as test/dataplane/signalr/runtime.test.ts builds them), with a SignalRUpstream as
 * the runtime's message handler; a plain node:http app standing in for the upstream (Functions).
 * Authentication is a stand-in: the token text is the user id ('anon' for none).
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { InProcessBackplane } from '../../src/backplane/index.ts';
import { MessagingCore } from '../../src/messaging/index.ts';
import { SignalRClientEndpoint } from '../../src/dataplane/signalr/client/index.ts';
import { CoreClientRuntime } from '../../src/dataplane/signalr/runtime/index.ts';
import { SignalRUpstream } from '../../src/upstream/index.ts';
import type { SignalRUpstreamOptions, SignalRUpstreamTemplate } from '../../src/upstream/index.ts';
import { PRIMARY, SECONDARY } from './support.ts';
import type { Harness } from './support.ts';

export interface SeenRequest {
  method: string;
  path: string;
  search: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Responder = (req: SeenRequest, res: ServerResponse, raw: IncomingMessage) => void;

export interface UpstreamApp {
  url: string;
  requests: SeenRequest[];
  /** Answers POSTs; the default answers 200 with no body. */
  respond: Responder;
  close(): Promise<void>;
}

/** A node:http app that records every request (body included) and answers with `respond`. */
export async function startUpstreamApp(respond?: Responder): Promise<UpstreamApp> {
  const requests: SeenRequest[] = [];
  const app: UpstreamApp = {
    url: '', requests, respond: respond ?? ((_q, res) => { res.writeHead(200).end(); }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const seen = { method: req.method ?? '', path: u.pathname, search: u.search, headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(seen);
      app.respond(seen, res, req);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  app.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return app;
}

export interface SignalRServerless {
  upstream: SignalRUpstream;
  templates: SignalRUpstreamTemplate[];
  keys: { primaryKey: string; secondaryKey: string };
  url: string;
  connect(user: string, o?: { protocol?: 'json' | 'messagepack'; transport?: HttpTransportType; hub?: string; query?: string }): Promise<HubConnection>;
  stop(): Promise<void>;
}

/** Claims the stand-in authenticator gives every user: some forwarded, some token-only. */
export const claimsOf = (user: string) => ({ nameid: user, role: ['reader', 'writer'], 'asrs.s.uid': user, aud: 'https://x/client/?hub=chat', exp: 4102444800, iat: 1 });

export async function startSignalRServerless(h: Harness, o: Partial<SignalRUpstreamOptions> = {}): Promise<SignalRServerless> {
  const keys = { primaryKey: PRIMARY, secondaryKey: SECONDARY };
  const templates: SignalRUpstreamTemplate[] = [];
  const upstream = new SignalRUpstream({
    resourceName: 'signalr-test', getAccessKeys: () => keys, getTemplates: () => templates,
    identity: h.lapis.node.identity, getManagedIdentity: () => undefined,
    vaultOrigins: () => [h.vaultUri], ca: h.tls.caPem, log: h.log.child({ resource: 'signalr-test' }),
    timing: { requestTimeoutMs: 3000, retryDelaysMs: [20, 40], keyVaultRetryFailedMs: 50 },
    ...o,
  });
  const core = new MessagingCore({ channel: 'sig-upstream', backplane: new InProcessBackplane() });
  const endpoint = new SignalRClientEndpoint({
    log: h.log,
    authenticate: (req, url) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || url.searchParams.get('access_token') || '';
      if (!token) return { ok: false, status: 401, message: 'no token' };
      return { ok: true, identity: token === 'anon' ? { userId: undefined, claims: {} } : { userId: token, claims: claimsOf(token) } };
    },
    runtime: new CoreClientRuntime(core, {
      onConnected: (info) => upstream.connected(info),
      onMessage: (info, session, frame) => upstream.message(info, session, frame),
      onDisconnected: (info, error) => upstream.disconnected(info, error),
    }),
  });
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/client/negotiate' && req.method === 'POST') endpoint.negotiate(req, res, url);
    else if (url.pathname === '/client/') endpoint.connection(req, res, url);
    else res.writeHead(404).end();
  });
  http.on('upgrade', (req, socket, head) => endpoint.upgrade(req, socket, head, new URL(req.url ?? '/', 'http://x')));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}/client/`;
  const clients: HubConnection[] = [];
  return {
    upstream, templates, keys, url: base,
    async connect(user, c = {}) {
      const url = `${base}?hub=${c.hub ?? 'Chat'}${c.query ?? ''}`;
      const b = new HubConnectionBuilder().withUrl(url, { transport: c.transport ?? HttpTransportType.WebSockets, accessTokenFactory: () => user }).configureLogging(LogLevel.None);
      const conn = (c.protocol === 'messagepack' ? b.withHubProtocol(new MessagePackHubProtocol()) : b).build();
      await conn.start();
      clients.push(conn);
      return conn;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.stop()));
      endpoint.close();
      core.close();
      await upstream.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
