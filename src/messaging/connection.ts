import { PermissionSet } from './permissions.ts';
import type { GroupAction } from './permissions.ts';
import type { ConnectionSink } from './types.ts';

/** What a connection filter can look at (the OData identifiers of the REST API map onto this). */
export interface FilterSubject {
  readonly connectionId: string;
  readonly userId: string | undefined;
  readonly groups: ReadonlySet<string>;
  readonly protocol: string;
}

export type ConnectionFilter = (subject: FilterSubject) => boolean;

/**
 * Told of every membership and permission change of one connection, whoever made it (the client,
 * a REST call applied on this node): a reliable session mirrors them to a shared session store.
 */
export interface ConnectionObserver {
  groupChanged(group: string, joined: boolean): void;
  permissionChanged(change: 'grant' | 'revoke', action: GroupAction, group: string | undefined): void;
}

/** A logical client connection living on this node. It outlives transports during a reliable recovery. */
export class Connection implements FilterSubject {
  readonly connectionId: string;
  /** Hub name, lower-cased (hub names are case-insensitive). */
  readonly hub: string;
  readonly userId: string | undefined;
  readonly groups = new Set<string>();
  readonly permissions = new PermissionSet();
  readonly connectedAt = Date.now();
  sink: ConnectionSink;
  /** Set only for connections whose state is mirrored elsewhere (reliable sessions in a cluster). */
  observer: ConnectionObserver | undefined = undefined;

  constructor(connectionId: string, hub: string, userId: string | undefined, sink: ConnectionSink) {
    this.connectionId = connectionId;
    this.hub = hub;
    this.userId = userId;
    this.sink = sink;
  }

  get protocol(): string {
    return this.sink.protocol;
  }
}
