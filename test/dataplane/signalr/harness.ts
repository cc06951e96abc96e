/** Test harness: a fastify app on 127.0.0.1:0 with the SignalR REST API mounted on in-memory operations. */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { answerFrameworkError } from '../../../src/net/index.ts';
import { InMemoryTemporaryKeyStore } from '../../../src/dataplane/signalr/auth/index.ts';
import { mountSignalRRest } from '../../../src/dataplane/signalr/rest/index.ts';
import type { SignalRRestDeps } from '../../../src/dataplane/signalr/rest/index.ts';
import { MemoryOperations } from './memory-operations.ts';

export const PRIMARY = 'sr-primary-key-0123456789abcdefghijklmnopqrstuv';
export const SECONDARY = 'sr-secondary-key-0123456789abcdefghijklmnopqrs';
export const INTERNAL = 'sr-internal-key-0123456789abcdefghijklmnopqrst';
export const RESOURCE_ID = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.SignalRService/SignalR/sr';

export interface Harness {
  app: FastifyInstance;
  ops: MemoryOperations;
  port: number;
  origin: string;
  deps: SignalRRestDeps;
  settings: { localAuthDisabled: boolean; aadAuthDisabled: boolean };
  keys: { primaryKey: string; secondaryKey: string };
  /** Raw request with an access-key token whose aud is the request URL (SDK form: port dropped, query kept). */
  call(method: string, path: string, opts?: { body?: string | Buffer; contentType?: string; token?: string | null; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export async function token(aud: string, o: { key?: string; alg?: string; exp?: number | null; nbf?: number; kid?: string; claims?: Record<string, unknown> } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...(o.claims ?? {}) }).setProtectedHeader({ alg: o.alg ?? 'HS256', typ: 'JWT', ...(o.kid ? { kid: o.kid } : {}) }).setAudience(aud).setIssuedAt(now);
  if (o.exp !== null) jwt.setExpirationTime(o.exp ?? now + 3600);
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
  return jwt.sign(new TextEncoder().encode(o.key ?? PRIMARY));
}

export async function start(overrides: Partial<SignalRRestDeps> = {}): Promise<Harness> {
  const ops = new MemoryOperations();
  const keys = { primaryKey: PRIMARY, secondaryKey: SECONDARY };
  const settings = { localAuthDisabled: false, aadAuthDisabled: false };
  const deps: SignalRRestDeps = {
    resourceId: RESOURCE_ID,
    operations: ops,
    getAccessKeys: () => keys,
    isLocalAuthDisabled: () => settings.localAuthDisabled,
    isAadAuthDisabled: () => settings.aadAuthDisabled,
    temporaryKeys: new InMemoryTemporaryKeyStore(),
    internalSigningKey: () => INTERNAL,
    log: pino({ level: process.env.LAPIS_TEST_LOG ?? 'silent' }),
    ...overrides,
  };
  // As the resource listeners (src/server/listeners.ts): malformed URLs go to the origin's handler.
  const app: FastifyInstance = Fastify({
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: 1024 },
    frameworkErrors: (err, req, reply) => answerFrameworkError(app, err, req, reply),
  });
  mountSignalRRest(app, deps);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  return {
    app, ops, port, origin, deps, settings, keys,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      const t = o.token === undefined ? await token(`http://127.0.0.1${path}`) : o.token;
      if (t !== null) headers.authorization = `Bearer ${t}`;
      if (o.contentType) headers['content-type'] = o.contentType;
      return fetch(`${origin}${path}`, { method, headers, body: o.body });
    },
    close: () => app.close(),
  };
}
