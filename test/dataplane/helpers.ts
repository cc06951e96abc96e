/** Test harness: a fastify app on 127.0.0.1:0 with one WebPubSubService mounted. */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubService } from '../../src/dataplane/webpubsub/index.ts';
import type { WebPubSubResourceContext } from '../../src/dataplane/webpubsub/index.ts';

export const PRIMARY = 'primary-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const SECONDARY = 'secondary-key-0123456789abcdefghijklmnopqrstuvwx';

export interface Harness {
  app: FastifyInstance;
  service: WebPubSubService;
  port: number;
  endpoint: string;
  connectionString: string;
  keys: { primaryKey: string; secondaryKey: string };
  settings: { localAuthDisabled: boolean; hubs: Record<string, { anonymousConnectPolicy?: 'allow' | 'deny' }> };
  client(hub: string): WebPubSubServiceClient;
  close(): Promise<void>;
}

export async function start(overrides: Partial<WebPubSubResourceContext> = {}): Promise<Harness> {
  const keys = { primaryKey: PRIMARY, secondaryKey: SECONDARY };
  const settings: Harness['settings'] = { localAuthDisabled: false, hubs: {} };
  const service = new WebPubSubService({
    name: 'chat',
    resourceId: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.SignalRService/webPubSub/chat',
    getAccessKeys: () => keys,
    isLocalAuthDisabled: () => settings.localAuthDisabled,
    getHubSettings: (hub) => settings.hubs[hub],
    log: pino({ level: process.env.LAPIS_TEST_LOG ?? 'silent' }),
    ...overrides,
  });
  const app = Fastify();
  service.mount(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const endpoint = `http://127.0.0.1:${port}`;
  const connectionString = `Endpoint=http://127.0.0.1;Port=${port};AccessKey=${PRIMARY};Version=1.0;`;
  return {
    app, service, port, endpoint, connectionString, keys, settings,
    client: (hub) => new WebPubSubServiceClient(connectionString, hub, { allowInsecureConnection: true }),
    close: async () => {
      await service.close();
      await app.close();
    },
  };
}

/** A raw WebSocket that records every frame it receives. */
export interface RawClient {
  ws: WebSocket;
  messages: unknown[];
  texts: string[];
  binaries: Buffer[];
  closed: Promise<{ code: number; reason: string }>;
  next(predicate?: (m: any) => boolean, timeoutMs?: number): Promise<any>;
  send(value: unknown): void;
}

export function rawClient(url: string, protocols?: string | string[], headers?: Record<string, string>): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers, perMessageDeflate: false });
    const messages: unknown[] = [];
    const texts: string[] = [];
    const binaries: Buffer[] = [];
    const waiters: Array<{ p: (m: any) => boolean; resolve: (m: any) => void }> = [];
    let cursor = 0;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        binaries.push(data as Buffer);
        return;
      }
      const text = (data as Buffer).toString('utf8');
      texts.push(text);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch { /* plain text */ }
      messages.push(parsed);
      for (const w of [...waiters]) {
        if (w.p(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.once('open', () => resolve({
      ws, messages, texts, binaries, closed,
      next: (p = () => true, timeoutMs = 3000) => {
        // Messages already received and not yet consumed by an earlier `next` count too.
        for (let i = cursor; i < messages.length; i++) {
          if (p(messages[i])) {
            cursor = i + 1;
            return Promise.resolve(messages[i]);
          }
        }
        return new Promise((res, rej) => {
          const t = setTimeout(() => rej(new Error('timed out waiting for a message')), timeoutMs);
          waiters.push({ p, resolve: (m) => { clearTimeout(t); cursor = messages.length; res(m); } });
        });
      },
      send: (v) => ws.send(typeof v === 'string' ? v : JSON.stringify(v)),
    }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body.trim()}`), { status: res.statusCode, body, headers: res.headers })));
    });
    ws.once('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` returns truthy. */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
