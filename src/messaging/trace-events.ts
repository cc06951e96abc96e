/**
 * The messaging core's live trace events (src/trace): connections registered and gone, group
 * joins and leaves, and each send's delivery on this node. Called only while someone watches
 * (`trace.on`), so building the events costs nothing otherwise.
 */
import type { ResourceTrace } from '../trace/index.ts';
import { messagePreview } from '../trace/index.ts';
import type { ClusterCommand } from './commands.ts';
import type { Connection } from './connection.ts';
import type { Content } from './types.ts';

export function traceConnection(trace: ResourceTrace, c: Connection, event: 'connected' | 'disconnected', reason?: string): void {
  trace.emit({ category: 'connection', event, hub: c.hub, connectionId: c.connectionId, userId: c.userId, reason, detail: c.sink.protocol || 'websocket' });
}

export function traceGroup(trace: ResourceTrace, c: Connection, group: string, joined: boolean): void {
  trace.emit({ category: 'connection', event: joined ? 'groupJoined' : 'groupLeft', hub: c.hub, connectionId: c.connectionId, userId: c.userId, group });
}

/** One event per send and node (not per recipient): where it went and how many it reached here. */
export function traceDelivery(trace: ResourceTrace, cmd: Extract<ClusterCommand, { type: 'send' }>, recipients: number): void {
  const t = cmd.target;
  const { preview, size } = describeContent(cmd.content);
  const from = cmd.content.kind === 'webpubsub' && cmd.content.from === 'group' ? 'from a client' : 'from the server';
  trace.emit({
    category: 'message', event: 'messageOut', hub: cmd.hub,
    group: t.scope === 'group' ? t.group : undefined,
    userId: t.scope === 'user' ? t.userId : undefined,
    connectionId: t.scope === 'connection' ? t.connectionId : undefined,
    recipients, size,
    detail: `to ${t.scope === 'hub' ? 'the hub' : t.scope} ${from}${cmd.filter ? ` (filter ${cmd.filter.slice(0, 100)})` : ''}: ${preview}`,
  });
}

export function describeContent(content: Content): { preview: string; size: number | undefined } {
  switch (content.kind) {
    case 'webpubsub':
      return { preview: messagePreview(content.payload.kind, content.payload.data), size: content.payload.data.length };
    case 'invocation': {
      let args = '';
      try {
        args = JSON.stringify(content.arguments);
      } catch {
        args = '[…]';
      }
      return { preview: messagePreview('json', Buffer.from(`${content.target}(${args.slice(1, -1)})`)), size: undefined };
    }
    case 'encoded': {
      const first = Object.values(content.bytes).find((b) => b !== undefined);
      return { preview: `encoded invocation, ${first?.length ?? 0} bytes`, size: first?.length };
    }
  }
}
