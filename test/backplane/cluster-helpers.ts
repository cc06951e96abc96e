/**
 * Several Lapis nodes in one process: each a RedisBackplane with its own MessagingCore and fake
 * connections that record what they receive. Every test file gets its own key prefix and
 * deletes its keys at the end.
 */
import { Redis } from 'ioredis';
import { createLogger } from '../../src/log/index.ts';
import { RedisBackplane } from '../../src/backplane/index.ts';
import type { RedisBackplaneOptions } from '../../src/backplane/index.ts';
import { Connection, MessagingCore } from '../../src/messaging/index.ts';
import type { CloseRequest, ConnectionSink, Content, Message } from '../../src/messaging/index.ts';
import { testRedis } from '../helpers/services.ts';

export const CHANNEL = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.SignalRService/WebPubSub/test';

export class Recorder implements ConnectionSink {
  readonly protocol = 'test';
  readonly received: Message[] = [];
  readonly closes: CloseRequest[] = [];
  deliver(m: Message): void { this.received.push(m); }
  close(r: CloseRequest): void { this.closes.push(r); }
  texts(): string[] {
    return this.received.map((m) => (m.content.kind === 'webpubsub' ? m.content.payload.data.toString() : JSON.stringify(m.content)));
  }
}

export function text(s: string): Content {
  return { kind: 'webpubsub', payload: { kind: 'text', data: Buffer.from(s) }, from: 'server' };
}

export interface TestNode {
  name: string;
  backplane: RedisBackplane;
  core: MessagingCore;
  add(connectionId: string, hub: string, userId?: string): { c: Connection; sink: Recorder };
}

export type NodeOptions = Partial<Omit<RedisBackplaneOptions, 'url' | 'prefix' | 'nodeId' | 'log'>> & { maxConnections?: number };

export class TestCluster {
  readonly url: string;
  readonly prefix: string;
  readonly nodes: TestNode[] = [];
  readonly admin: Redis;

  constructor() {
    const { url, prefix } = testRedis();
    this.url = url;
    this.prefix = prefix;
    this.admin = new Redis(url, { maxRetriesPerRequest: 1 });
    this.admin.on('error', () => {});
  }

  async start(name: string, options: NodeOptions = {}): Promise<TestNode> {
    const { maxConnections, ...rest } = options;
    const backplane = new RedisBackplane({
      url: this.url,
      prefix: this.prefix,
      nodeId: name,
      log: createLogger({ level: process.env.LAPIS_TEST_LOG_LEVEL ?? 'silent' }),
      heartbeatMs: 200,
      requestTimeoutMs: 3000,
      ...rest,
    });
    await backplane.connect();
    const core = new MessagingCore({ channel: CHANNEL, backplane, maxConnections });
    const add = (connectionId: string, hub: string, userId?: string) => {
      const sink = new Recorder();
      const c = new Connection(connectionId, hub.toLowerCase(), userId, sink);
      core.register(c);
      return { c, sink };
    };
    const node = { name, backplane, core, add };
    this.nodes.push(node);
    return node;
  }

  /**
   * Counts and live sets current on every node: a first round lands every node's writes (a
   * heartbeat follows them on the same connection), the second reads them back.
   */
  async sync(): Promise<void> {
    for (let round = 0; round < 2; round++) await Promise.all(this.nodes.map((n) => n.backplane.sync()));
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) {
      n.core.close();
      await n.backplane.close();
    }
    let cursor = '0';
    do {
      const [next, keys] = await this.admin.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await this.admin.del(...keys);
    } while (cursor !== '0');
    this.admin.disconnect();
  }
}

/** Polls until `check` holds (the cluster is eventually consistent); fails with `what` after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
