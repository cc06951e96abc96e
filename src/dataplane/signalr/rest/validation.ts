/**
 * Parameter rules of the SignalR REST API (reference §1.3): hub and application names, groups,
 * users, connection ids, `ttl`, `excluded`, and the internal hub name `{application}_{hub}`.
 */
import { badRequest } from '../../webpubsub/errors.ts';

/** Swagger pattern for `hub` and `application`. */
const NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;
const MAX_ID = 1024;

export function isValidHubName(name: string): boolean {
  return NAME.test(name);
}

/** The hub the runtime knows: lower-cased, prefixed with the application when one is given. */
export function internalHub(hub: string, application: string | undefined): string {
  if (!NAME.test(hub)) {
    throw badRequest("The hub name must start with a letter and contain only letters, digits, '_', '`', ',', '.', '[' and ']' (at most 128 characters).", 'hub');
  }
  if (application === undefined || application === '') return hub.toLowerCase();
  if (!NAME.test(application)) {
    throw badRequest("The application name must start with a letter and contain only letters, digits, '_', '`', ',', '.', '[' and ']' (at most 128 characters).", 'application');
  }
  return `${application}_${hub}`.toLowerCase();
}

export function validGroup(group: string): string {
  if (group.length < 1 || group.length > MAX_ID || group.trim() === '') {
    throw badRequest('The group name must be 1 to 1024 characters long and not only whitespace.', 'group');
  }
  return group;
}

export function validUser(user: string): string {
  if (user.length < 1 || user.length > MAX_ID) throw badRequest('The user id must be 1 to 1024 characters long.', 'user');
  return user;
}

export function validConnectionId(id: string): string {
  if (id.length < 1 || id.length > MAX_ID) throw badRequest('The connection id must be 1 to 1024 characters long.', 'connectionId');
  return id;
}

/** `ttl` of PUT user→group, in seconds; absent → undefined. */
export function ttlSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2_147_483_647) {
    throw badRequest('ttl must be a whole number of seconds between 0 and 2147483647.', 'ttl');
  }
  return Number(value);
}

/** At most this many `excluded` ids per call (a query string cannot be larger than the header limit anyway). */
export const MAX_EXCLUDED = 1000;

export function excludedIds(values: readonly string[]): string[] {
  if (values.length > MAX_EXCLUDED) throw badRequest(`At most ${MAX_EXCLUDED} excluded connection ids may be given.`, 'excluded');
  return values.filter((v) => v.length > 0);
}

/** `reason` of close operations: optional, bounded. */
export function closeReason(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > 1024) throw badRequest('reason must be at most 1024 characters long.', 'reason');
  return value;
}
