/**
 * Ack payloads: answers to the query messages travel MessagePack-encoded in the Ack's `payload`
 * (ServiceProtocol.WriteMessagePayload in the SDK). GroupMemberQuery's answer is
 * `[[[connectionId, userId|nil], …], continuationToken|nil]` (GroupMemberQueryResponse; bytes
 * checked against the 1.34 Protocols assembly by the sdk-interop test).
 */
import { MsgpackWriter } from './msgpack-writer.ts';

export interface GroupMemberEntry {
  connectionId: string;
  userId?: string | undefined;
}

export function groupMemberQueryResponse(members: readonly GroupMemberEntry[], continuationToken: string | null): Uint8Array {
  const w = new MsgpackWriter(64 + members.length * 48);
  w.arrayHeader(2);
  w.arrayHeader(members.length);
  for (const m of members) {
    w.arrayHeader(2);
    w.string(m.connectionId);
    w.string(m.userId ?? null);
  }
  w.string(continuationToken);
  return w.bytes();
}
