/**
 * A client's own messages in the live trace (src/trace): group sends and events, as they arrive.
 * Callers test `core.trace?.on` first.
 */
import type { Connection, MessagingCore, Payload } from '../../messaging/index.ts';
import { messagePreview } from '../../trace/index.ts';

export function traceClientMessage(core: MessagingCore, c: Connection, what: string, payload: Payload, group?: string): void {
  core.trace?.emit({
    category: 'message', event: 'messageIn', hub: c.hub, connectionId: c.connectionId, userId: c.userId, group,
    size: payload.data.length, detail: `${what}: ${messagePreview(payload.kind, payload.data)}`,
  });
}
