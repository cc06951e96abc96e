/**
 * The seam between reliable Web PubSub sessions and where their state lives beyond one node.
 * In-process (one node): nothing is kept elsewhere, a session lives and dies with its node. Redis
 * (a cluster): every reliable session is mirrored, so any node can rebuild it — after its node
 * died, or hand it over from a node that is alive — with the same connection id, user, groups,
 * permissions, unacknowledged frames and fresh sequence ids.
 */
import type { GroupAction } from '../../../messaging/index.ts';
import type { BufferedFrame, JsonSession, ReliableMirror } from '../../../protocols/webpubsub/index.ts';

/** One permission change made after the connection opened (replayed in order over the token's roles). */
export interface PermissionChange {
  change: 'grant' | 'revoke';
  action: GroupAction;
  group?: string | undefined;
}

/** What rebuilding a reliable session on another node needs. */
export interface SessionRecord {
  hub: string;
  connectionId: string;
  userId: string | undefined;
  roles: string[];
  /** Its reliable subprotocol (JSON or protobuf): the rebuilt session speaks it. */
  protocol: string;
  /** SHA-256 of the reconnection token (the token itself is never stored). */
  tokenHash: string;
  /** Ids up to this one may have reached the client: the rebuilt session continues after it. */
  lastSequenceId: number;
  frames: BufferedFrame[];
  groups: string[];
  permissionChanges: PermissionChange[];
}

export type RecoveryLookup =
  /** This node now owns the session: rebuild it from the record. */
  | { kind: 'claimed'; record: SessionRecord }
  /** No such session (never was, expired, ended, or the token does not match): close 1008. */
  | { kind: 'unknown' }
  /** Its node neither answered nor is known dead yet, or the store is unreachable: retry later (503). */
  | { kind: 'unavailable'; reason: string };

/** Where a resource's sessions go when this node adopts or is handed one. */
export interface SessionHostBinding {
  /** Rebuild a session of this resource here, detached (waiting for its client). */
  adopt(record: SessionRecord): JsonSession | undefined;
  /** A local session, for a handover to another node. */
  local(hub: string, connectionId: string): JsonSession | undefined;
}

/** One resource's view of the store. */
export interface ChannelSessions {
  /** Whether sessions outlive this node (false: in-process, nothing is mirrored). */
  readonly shared: boolean;
  /**
   * Starts mirroring a reliable session (new or rebuilt); undefined when nothing is mirrored.
   * A rebuilt session passes the permission changes it was rebuilt with (they stay its history).
   */
  track(session: JsonSession, permissionChanges?: readonly PermissionChange[]): ReliableMirror | undefined;
  /** A recovery handshake for a connection this node does not hold. */
  recover(hub: string, connectionId: string, token: string): Promise<RecoveryLookup>;
  /** This node stops: mirrored sessions are left for other nodes to recover (their clients get 1012). */
  handOff(): Promise<void>;
  /** The resource stops on this node. */
  unbind(): void;
}

export interface SessionStore {
  readonly shared: boolean;
  bind(channel: string, host: SessionHostBinding): ChannelSessions;
  close(): Promise<void>;
}
