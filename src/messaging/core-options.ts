/**
 * What a caller gives the messaging core (core.ts) and the error it throws when the resource's
 * connection limit is reached, apart from the core so the endpoints that catch it read one
 * small file.
 */
import type { Backplane } from '../backplane/types.ts';
import type { ConnectionFilter } from './connection.ts';
import type { ResourceTrace } from '../trace/index.ts';

export interface MessagingCoreOptions {
  /** Backplane channel of this resource (its ARM id). */
  channel: string;
  backplane: Backplane;
  /** Compiles a filter expression; throws on invalid input. Wire-specific (OData for Web PubSub). */
  compileFilter?: (expression: string) => ConnectionFilter;
  /** Most connections this resource accepts, counted across the cluster. */
  maxConnections?: number | undefined;
  /** The resource's live trace channel: connections, groups and deliveries are published there while someone watches. */
  trace?: ResourceTrace | undefined;
}

export class ConnectionLimitError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`The connection limit of ${limit} for this resource has been reached.`);
    this.limit = limit;
  }
}
