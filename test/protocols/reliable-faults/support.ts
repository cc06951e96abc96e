/**
 * Shared set-up of the reliable-protocol fault tests: a Web PubSub service with recording event
 * hooks, a fault proxy in front of its client port, and the wire codecs every case runs with.
 */
import type { TestContext } from 'node:test';
import { start } from '../../dataplane/helpers.ts';
import type { Harness } from '../../dataplane/helpers.ts';
import { startFaultProxy } from '../../helpers/fault-proxy.ts';
import type { FaultConnection, FaultProxy } from '../../helpers/fault-proxy.ts';
import { jsonReliableCodec, ReliableTestClient } from '../../helpers/reliable-client.ts';
import type { WireCodec } from '../../helpers/reliable-client.ts';
import { protobufReliableCodec } from '../../helpers/protobuf-wire-codec.ts';
import type { ClientEventHooks } from '../../../src/protocols/webpubsub/index.ts';
import type { WebPubSubResourceContext } from '../../../src/dataplane/webpubsub/index.ts';

/** Every reliable codec the fault cases run with: each case runs once per codec. */
export const codecs: WireCodec[] = [jsonReliableCodec, protobufReliableCodec];

export const HUB = 'faults';

export interface Recorded {
  disconnected: Array<{ connectionId: string; reason: string }>;
  connected: string[];
  /** User events as the handler saw them: `${connectionId}:${event}:${data}`. */
  events: string[];
}

export interface World {
  h: Harness;
  proxy: FaultProxy;
  recorded: Recorded;
  /** Holds user events until released (for in-flight resend cases); open by default. */
  gate: { close(): void; release(): void };
  /** A new reliable client through the proxy, with its proxied TCP connection. */
  connect(codec: WireCodec, token?: { userId?: string; roles?: string[]; groups?: string[] }): Promise<{ c: ReliableTestClient; link: FaultConnection }>;
  /** Recovers `c` through the proxy; resolves with the new socket's proxied TCP connection. */
  reconnect(c: ReliableTestClient, over?: { connectionId?: string; token?: string; url?: string }): Promise<FaultConnection>;
  rest(): ReturnType<Harness['client']>;
}

const ALL_ROLES = ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'];

export async function world(t: TestContext, overrides: Partial<WebPubSubResourceContext> = {}): Promise<World> {
  const recorded: Recorded = { disconnected: [], connected: [], events: [] };
  let opened: Promise<void> = Promise.resolve();
  let release = () => {};
  const gate = {
    close() {
      opened = new Promise<void>((r) => (release = r));
    },
    release: () => release(),
  };
  const events: ClientEventHooks = {
    hasUserEventHandler: () => true,
    // Replies `re:<data>` so event replies take part in the ordering checks.
    userEvent: async (ctx, event, payload) => {
      await opened;
      const data = payload.data.toString('utf8');
      recorded.events.push(`${ctx.connectionId}:${event}:${data}`);
      return { kind: 'text', data: Buffer.from(`re:${data}`) };
    },
    connected: (ctx) => recorded.connected.push(ctx.connectionId),
    disconnected: (ctx, reason) => recorded.disconnected.push({ connectionId: ctx.connectionId, reason }),
  };
  const h = await start({ events, ...overrides });
  const proxy = await startFaultProxy({ port: h.port });
  t.after(async () => {
    gate.release();
    await proxy.close();
    await h.close();
  });
  const tokenUrl = async (token: { userId?: string; roles?: string[]; groups?: string[] }) =>
    proxy.url((await h.client(HUB).getClientAccessToken({ roles: ALL_ROLES, ...token })).url);
  return {
    h, proxy, recorded, gate,
    async connect(codec, token = {}) {
      const linked = proxy.nextConnection();
      const c = await ReliableTestClient.connect(codec, await tokenUrl(token));
      return { c, link: await linked };
    },
    async reconnect(c, over) {
      const linked = proxy.nextConnection();
      await c.reconnect(over);
      return linked;
    },
    rest: () => h.client(HUB),
  };
}

/** Asserts nothing about order here: returns the payloads of `c`'s delivered messages. */
export function payloads(c: ReliableTestClient): string[] {
  return c.delivered.map((d) => d.data);
}

/** The sequence ids 1..n, for exactly-once-in-order checks. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
