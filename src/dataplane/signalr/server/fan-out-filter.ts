/**
 * Recipient filters for an app server's multi-target sends. MultiGroupBroadcast and MultiUserData
 * name any number of groups or users, and Azure delivers once per connection however many of them
 * it matches; GroupBroadcast may exclude any number of users. One hub-wide send with a set-based
 * filter gives exactly that, cluster-safe (the filter is a string the backplane ships), with no cap
 * on the number of names (an OData filter has a 4096-character limit, which forced one send per
 * group past ~50 groups and so duplicates).
 *
 * The SignalR core's filter compiler takes these as JSON (`{"anyGroup":[…]}`, `{"anyUser":[…]}`,
 * `{"noUser":[…]}`); anything else is the OData subset. SignalR's REST API takes no filters, so
 * only this code writes them.
 */
import type { ConnectionFilter } from '../../../messaging/index.ts';
import { compileODataFilter } from '../../webpubsub/odata-filter.ts';

/** Connections in at least one of `groups`. */
export const inAnyGroup = (groups: readonly string[]): string => JSON.stringify({ anyGroup: [...new Set(groups)] });
/** Connections of at least one of `users`. */
export const ofAnyUser = (users: readonly string[]): string => JSON.stringify({ anyUser: [...new Set(users)] });
/** Connections of none of `users` (anonymous connections included). */
export const ofNoUser = (users: readonly string[]): string => JSON.stringify({ noUser: [...new Set(users)] });

/** The SignalR core's filter compiler: the set filters above, else the OData subset. */
export function compileSignalRFilter(expression: string): ConnectionFilter {
  if (!expression.startsWith('{')) return compileODataFilter(expression);
  const spec = JSON.parse(expression) as Partial<Record<'anyGroup' | 'anyUser' | 'noUser', unknown>>;
  const names = (value: unknown): Set<string> => {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error('Invalid recipient filter.');
    return new Set(value as string[]);
  };
  if (spec.anyGroup !== undefined) {
    const groups = names(spec.anyGroup);
    return (c) => {
      // Iterate the smaller side: a connection is usually in few groups.
      if (c.groups.size <= groups.size) {
        for (const g of c.groups) if (groups.has(g)) return true;
        return false;
      }
      for (const g of groups) if (c.groups.has(g)) return true;
      return false;
    };
  }
  if (spec.anyUser !== undefined) {
    const users = names(spec.anyUser);
    return (c) => c.userId !== undefined && users.has(c.userId);
  }
  if (spec.noUser !== undefined) {
    const users = names(spec.noUser);
    return (c) => c.userId === undefined || !users.has(c.userId);
  }
  throw new Error('Invalid recipient filter.');
}
